//! `userpool-bench`: userpool against its peers. Run it with `cargo xtask bench`, which
//! installs the peers, builds this package's programs and the server in release mode, and
//! then starts this one with the peers' paths in the environment.

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    userpool_bench::harness::run(&args)
}
