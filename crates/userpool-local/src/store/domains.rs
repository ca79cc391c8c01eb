//! The `domains` and `resource_servers` tables: a pool's hosted sign-in domain (at most one
//! per pool, and a domain names one pool across the whole server, as a prefix names one
//! pool in a Cognito region) and its OAuth 2.0 resource servers with their custom scopes.

use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use super::db_err;
use crate::error::ApiError;

/// A pool's domain as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DomainRow {
    /// The prefix (`my-app`) or, for a custom domain, the full host name.
    pub domain: String,
    pub pool_id: String,
    /// `CustomDomainConfig.CertificateArn`; `None` for a prefix domain.
    pub certificate_arn: Option<String>,
    /// The made-up CloudFront host a custom domain answers (`CloudFrontDomain`).
    pub cloudfront: Option<String>,
    /// `ManagedLoginVersion` (1: classic hosted UI, 2: managed login).
    pub managed_login_version: u8,
    pub created_ms: i64,
    pub modified_ms: i64,
}

const DOMAIN_COLUMNS: &str =
    "domain, pool_id, certificate_arn, cloudfront, managed_login_version, created_ms, modified_ms";

fn domain_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DomainRow> {
    let version: i64 = r.get(4)?;
    // Only 1 and 2 are ever written; anything else is a damaged row.
    let managed_login_version = u8::try_from(version).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Integer, Box::new(e))
    })?;
    Ok(DomainRow {
        domain: r.get(0)?,
        pool_id: r.get(1)?,
        certificate_arn: r.get(2)?,
        cloudfront: r.get(3)?,
        managed_login_version,
        created_ms: r.get(5)?,
        modified_ms: r.get(6)?,
    })
}

/// Why a domain could not be inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DomainConflict {
    /// The pool has a domain already.
    PoolHasDomain,
    /// Another pool (or this one) holds the domain.
    DomainTaken,
}

/// Inserts a domain, or says which uniqueness rule refuses it.
pub(crate) fn insert_domain(
    c: &Connection,
    row: &DomainRow,
) -> Result<Option<DomainConflict>, ApiError> {
    if domain_of_pool(c, &row.pool_id)?.is_some() {
        return Ok(Some(DomainConflict::PoolHasDomain));
    }
    let n = c
        .prepare_cached(&format!(
            "INSERT OR IGNORE INTO domains ({DOMAIN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        ))
        .map_err(db_err)?
        .execute(params![
            row.domain,
            row.pool_id,
            row.certificate_arn,
            row.cloudfront,
            row.managed_login_version,
            row.created_ms,
            row.modified_ms,
        ])
        .map_err(db_err)?;
    Ok((n == 0).then_some(DomainConflict::DomainTaken))
}

pub(crate) fn domain_by_name(c: &Connection, domain: &str) -> Result<Option<DomainRow>, ApiError> {
    c.prepare_cached(&format!(
        "SELECT {DOMAIN_COLUMNS} FROM domains WHERE domain = ?1"
    ))
    .map_err(db_err)?
    .query_row(params![domain], domain_from_row)
    .optional()
    .map_err(db_err)
}

pub(crate) fn domain_of_pool(c: &Connection, pool_id: &str) -> Result<Option<DomainRow>, ApiError> {
    c.prepare_cached(&format!(
        "SELECT {DOMAIN_COLUMNS} FROM domains WHERE pool_id = ?1"
    ))
    .map_err(db_err)?
    .query_row(params![pool_id], domain_from_row)
    .optional()
    .map_err(db_err)
}

/// Writes the certificate, version and modification time of a domain back.
pub(crate) fn update_domain(c: &Connection, row: &DomainRow) -> Result<(), ApiError> {
    c.prepare_cached(
        "UPDATE domains SET certificate_arn = ?3, managed_login_version = ?4, modified_ms = ?5 WHERE domain = ?1 AND pool_id = ?2",
    )
    .map_err(db_err)?
    .execute(params![
        row.domain,
        row.pool_id,
        row.certificate_arn,
        row.managed_login_version,
        row.modified_ms,
    ])
    .map_err(db_err)?;
    Ok(())
}

/// Deletes the domain of a pool; `false` when the pool does not hold that domain.
pub(crate) fn delete_domain(c: &Connection, pool_id: &str, domain: &str) -> Result<bool, ApiError> {
    let n = c
        .prepare_cached("DELETE FROM domains WHERE domain = ?1 AND pool_id = ?2")
        .map_err(db_err)?
        .execute(params![domain, pool_id])
        .map_err(db_err)?;
    Ok(n > 0)
}

/// One custom scope of a resource server (`ResourceServerScopeType`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Scope {
    pub name: String,
    pub description: String,
}

/// A resource server as stored; its scopes are one JSON column (they are only ever read
/// and written with the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceServer {
    pub pool_id: String,
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<Scope>,
}

fn server_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ResourceServer> {
    let scopes: String = r.get(3)?;
    let scopes = serde_json::from_str(&scopes).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(ResourceServer {
        pool_id: r.get(0)?,
        identifier: r.get(1)?,
        name: r.get(2)?,
        scopes,
    })
}

const SERVER_COLUMNS: &str = "pool_id, identifier, name, scopes";

fn scopes_text(s: &ResourceServer) -> Result<String, ApiError> {
    serde_json::to_string(&s.scopes).map_err(ApiError::internal)
}

/// Inserts a resource server; `false` when the pool has one with that identifier.
pub(crate) fn insert_resource_server(c: &Connection, s: &ResourceServer) -> Result<bool, ApiError> {
    let n = c
        .prepare_cached(&format!(
            "INSERT OR IGNORE INTO resource_servers ({SERVER_COLUMNS}) VALUES (?1, ?2, ?3, ?4)"
        ))
        .map_err(db_err)?
        .execute(params![s.pool_id, s.identifier, s.name, scopes_text(s)?])
        .map_err(db_err)?;
    Ok(n > 0)
}

/// Replaces the name and scopes of a resource server; `false` when there is none.
pub(crate) fn update_resource_server(c: &Connection, s: &ResourceServer) -> Result<bool, ApiError> {
    let n = c
        .prepare_cached(
            "UPDATE resource_servers SET name = ?3, scopes = ?4 WHERE pool_id = ?1 AND identifier = ?2",
        )
        .map_err(db_err)?
        .execute(params![s.pool_id, s.identifier, s.name, scopes_text(s)?])
        .map_err(db_err)?;
    Ok(n > 0)
}

pub(crate) fn resource_server(
    c: &Connection,
    pool_id: &str,
    identifier: &str,
) -> Result<Option<ResourceServer>, ApiError> {
    c.prepare_cached(&format!(
        "SELECT {SERVER_COLUMNS} FROM resource_servers WHERE pool_id = ?1 AND identifier = ?2"
    ))
    .map_err(db_err)?
    .query_row(params![pool_id, identifier], server_from_row)
    .optional()
    .map_err(db_err)
}

pub(crate) fn count_resource_servers(c: &Connection, pool_id: &str) -> Result<i64, ApiError> {
    c.prepare_cached("SELECT COUNT(*) FROM resource_servers WHERE pool_id = ?1")
        .map_err(db_err)?
        .query_row(params![pool_id], |r| r.get(0))
        .map_err(db_err)
}

/// Deletes a resource server; `false` when there was none.
pub(crate) fn delete_resource_server(
    c: &Connection,
    pool_id: &str,
    identifier: &str,
) -> Result<bool, ApiError> {
    let n = c
        .prepare_cached("DELETE FROM resource_servers WHERE pool_id = ?1 AND identifier = ?2")
        .map_err(db_err)?
        .execute(params![pool_id, identifier])
        .map_err(db_err)?;
    Ok(n > 0)
}

/// Resource servers of a pool whose identifier sorts after `after`, in identifier order.
pub(crate) fn list_resource_servers(
    c: &Connection,
    pool_id: &str,
    after: &str,
    limit: usize,
) -> Result<Vec<ResourceServer>, ApiError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {SERVER_COLUMNS} FROM resource_servers WHERE pool_id = ?1 AND identifier > ?2 ORDER BY identifier LIMIT ?3"
        ))
        .map_err(db_err)?;
    let rows = st
        .query_map(params![pool_id, after, limit], server_from_row)
        .map_err(db_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
}

#[cfg(test)]
mod tests {
    use super::super::SCHEMA;
    use super::*;

    #[test]
    fn an_older_database_gains_the_domain_tables_and_a_deleted_pool_loses_its_rows() {
        let c = Connection::open_in_memory().unwrap();
        let before = SCHEMA
            .split_once("CREATE TABLE IF NOT EXISTS domains")
            .unwrap()
            .0;
        c.execute_batch(before).unwrap();
        c.execute(
            "INSERT INTO pools (id, config, key_der, created_ms, modified_ms) VALUES ('p', '{}', x'00', 0, 0)",
            [],
        )
        .unwrap();
        assert!(c.prepare("SELECT 1 FROM domains").is_err());
        // What `Store::open` runs on an existing file.
        c.execute_batch(SCHEMA).unwrap();
        let row = DomainRow {
            domain: "my-app".into(),
            pool_id: "p".into(),
            certificate_arn: None,
            cloudfront: None,
            managed_login_version: 1,
            created_ms: 0,
            modified_ms: 0,
        };
        assert_eq!(insert_domain(&c, &row).unwrap(), None);
        let again = DomainRow {
            domain: "other".into(),
            ..row.clone()
        };
        assert_eq!(
            insert_domain(&c, &again).unwrap(),
            Some(DomainConflict::PoolHasDomain)
        );
        let taken = DomainRow {
            pool_id: "q".into(),
            ..row.clone()
        };
        assert_eq!(
            insert_domain(&c, &taken).unwrap(),
            Some(DomainConflict::DomainTaken)
        );
        let server = ResourceServer {
            pool_id: "p".into(),
            identifier: "api".into(),
            name: "API".into(),
            scopes: vec![Scope {
                name: "read".into(),
                description: "Read".into(),
            }],
        };
        assert!(insert_resource_server(&c, &server).unwrap());
        assert!(!insert_resource_server(&c, &server).unwrap());
        assert_eq!(resource_server(&c, "p", "api").unwrap(), Some(server));
        // The pool's row goes: its domain and resource servers go with it.
        c.execute("DELETE FROM pools WHERE id = 'p'", []).unwrap();
        assert_eq!(domain_by_name(&c, "my-app").unwrap(), None);
        assert_eq!(count_resource_servers(&c, "p").unwrap(), 0);
    }
}
