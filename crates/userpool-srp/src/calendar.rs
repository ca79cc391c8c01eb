//! The proleptic Gregorian calendar in UTC, for the dates the Cognito wire carries: the SRP
//! TIMESTAMP (`Tue Nov 3 12:34:56 UTC 2026`), SigV4's `X-Amz-Date` (`20261103T123456Z`) and
//! readable times. One implementation for the client, the local pool and the tools; no
//! time zone but UTC, no I/O.

/// English weekday abbreviations, Sunday first (index = [`CivilTime::weekday`]).
pub const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// English month abbreviations, January first (index = [`CivilTime::month`] − 1).
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds in a day (UTC has no leap seconds in Unix time).
pub const SECS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31) (Howard Hinnant's
/// `civil_from_days`). Any `i64` is a day: the sums run in `i128`, where the shift to
/// 0000-03-01 cannot overflow even for `i64::MAX`.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = i128::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // The day is 1..=31 and the month 1..=12 by construction.
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    // At most |days| / 365 + 1 in magnitude: fits in i64.
    let year = yoe + era * 400 + i128::from(month <= 2);
    let year = i64::try_from(year).unwrap_or(if year < 0 { i64::MIN } else { i64::MAX });
    (year, month, day)
}

/// (year, month 1..=12, day) to days since 1970-01-01. The date is not checked: use
/// [`is_valid_date`] first where it comes from outside. Saturates at the `i64` range for
/// years too far out to count their days in it (beyond about ±2.5·10¹⁶); see
/// [`checked_days_from_civil`].
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    checked_days_from_civil(year, month, day).unwrap_or(if year < 0 { i64::MIN } else { i64::MAX })
}

/// [`days_from_civil`], or `None` when the day count does not fit in `i64`.
pub fn checked_days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    let y = if month <= 2 {
        year.checked_sub(1)?
    } else {
        year
    };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(month.wrapping_add(9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era.checked_mul(146_097)?.checked_add(doe - 719_468)
}

/// True for a Gregorian leap year.
pub fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in a month (1..=12) of a year; 0 for a month out of range.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        _ => 0,
    }
}

/// True when the month is 1..=12 and the day exists in it.
pub fn is_valid_date(year: i64, month: u32, day: u32) -> bool {
    day >= 1 && day <= days_in_month(year, month)
}

/// A Unix time broken down in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilTime {
    /// The year (proleptic Gregorian; may be outside 0..=9999 for extreme inputs).
    pub year: i64,
    /// 1..=12.
    pub month: u32,
    /// 1..=31.
    pub day: u32,
    /// 0..=23.
    pub hour: u32,
    /// 0..=59.
    pub minute: u32,
    /// 0..=59.
    pub second: u32,
    /// 0 (Sunday) ..= 6 (Saturday).
    pub weekday: u32,
}

impl CivilTime {
    /// Breaks down a Unix time (seconds; negative before 1970).
    pub fn from_unix(secs: i64) -> Self {
        let days = secs.div_euclid(SECS_PER_DAY);
        // 0..86_400: fits in u32.
        let second_of_day = secs.rem_euclid(SECS_PER_DAY) as u32;
        let (year, month, day) = civil_from_days(days);
        Self {
            year,
            month,
            day,
            hour: second_of_day / 3600,
            minute: second_of_day / 60 % 60,
            second: second_of_day % 60,
            // 1970-01-01 was a Thursday.
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }

    /// The Unix time of a date and time of day, if the date exists and the time is
    /// 00:00:00 to 23:59:59 (the weekday is not read).
    pub fn to_unix(&self) -> Option<i64> {
        if !is_valid_date(self.year, self.month, self.day)
            || self.hour > 23
            || self.minute > 59
            || self.second > 59
        {
            return None;
        }
        let days = checked_days_from_civil(self.year, self.month, self.day)?;
        let second_of_day = i64::from(self.hour * 3600 + self.minute * 60 + self.second);
        days.checked_mul(SECS_PER_DAY)?.checked_add(second_of_day)
    }

    /// `Sun` … `Sat`.
    pub fn weekday_name(&self) -> &'static str {
        WEEKDAYS[self.weekday as usize % 7]
    }

    /// `Jan` … `Dec`.
    pub fn month_name(&self) -> &'static str {
        MONTHS[(self.month as usize + 11) % 12]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        let t = CivilTime::from_unix(1_709_210_096);
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second),
            (2024, 2, 29, 12, 34, 56)
        );
        assert_eq!((t.weekday_name(), t.month_name()), ("Thu", "Feb"));
        assert_eq!(t.to_unix(), Some(1_709_210_096));
        let epoch = CivilTime::from_unix(0);
        assert_eq!((epoch.year, epoch.weekday_name()), (1970, "Thu"));
        let before = CivilTime::from_unix(-1);
        assert_eq!(
            (before.year, before.month, before.day, before.hour),
            (1969, 12, 31, 23)
        );
    }

    #[test]
    fn days_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert!(is_valid_date(y, m, d));
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn impossible_dates_have_no_unix_time() {
        let mut t = CivilTime::from_unix(0);
        for (year, month, day) in [(2015, 2, 29), (2015, 2, 31), (2024, 4, 31), (2024, 13, 1)] {
            t.year = year;
            t.month = month;
            t.day = day;
            assert_eq!(t.to_unix(), None, "{year}-{month}-{day}");
        }
        t = CivilTime::from_unix(0);
        t.hour = 24;
        assert_eq!(t.to_unix(), None);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2026, 0), 0);
    }

    #[test]
    fn years_beyond_the_i64_day_count_have_no_unix_time() {
        // Their day count overflowed i64 (`era * 146_097`, `year - 1`): a panic with
        // overflow checks, a wrong instant without.
        let mut t = CivilTime::from_unix(0);
        for year in [i64::MAX, i64::MIN, i64::MAX / 300, i64::MIN / 300] {
            for month in [1, 2, 3, 12] {
                t.year = year;
                t.month = month;
                assert_eq!(t.to_unix(), None, "{year}-{month}");
            }
        }
        assert_eq!(checked_days_from_civil(i64::MIN, 1, 1), None);
        assert_eq!(days_from_civil(i64::MAX, 3, 1), i64::MAX);
        assert_eq!(days_from_civil(i64::MIN, 3, 1), i64::MIN);
        assert_eq!(checked_days_from_civil(1970, 1, 1), Some(0));
    }

    #[test]
    fn every_day_count_has_a_date() {
        // `days + 719_468` overflowed for the largest counts.
        for days in [i64::MAX, i64::MAX - 719_468, i64::MIN, 0] {
            let (_, month, day) = civil_from_days(days);
            assert!(
                (1..=12).contains(&month) && (1..=31).contains(&day),
                "{days}"
            );
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn extremes_do_not_panic() {
        for s in [i64::MIN, i64::MIN + 1, i64::MAX - 1, i64::MAX] {
            let t = CivilTime::from_unix(s);
            let _ = (t.weekday_name(), t.month_name(), t.to_unix());
        }
    }
}
