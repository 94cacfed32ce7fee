//! Log lines in Redis's format (`pid:role dd Mon yyyy hh:mm:ss.mmm <level> msg`)
//! to `logfile` or stdout, filtered by `loglevel`.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Redis log levels, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Debug,
    Verbose,
    Notice,
    Warning,
}

impl Level {
    pub(crate) fn parse(name: &str) -> Level {
        match name {
            "debug" => Level::Debug,
            "verbose" => Level::Verbose,
            "warning" => Level::Warning,
            _ => Level::Notice,
        }
    }

    fn marker(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning => '#',
        }
    }
}

struct Sink {
    path: String,
    level: Level,
}

static SINK: Mutex<Option<Sink>> = Mutex::new(None);

/// Sets where and what to log.
pub(crate) fn configure(path: &str, level: Level) {
    if let Ok(mut sink) = SINK.lock() {
        *sink = Some(Sink {
            path: path.to_string(),
            level,
        });
    }
}

/// Writes one log line if `level` passes the filter.
pub(crate) fn log(level: Level, message: &str) {
    let line = format!(
        "{}:M {} {} {}\n",
        std::process::id(),
        timestamp(),
        level.marker(),
        message
    );
    write_if(level, &line);
}

/// Writes `text` as it is, without the line prefix, if `level` passes the
/// filter (Redis `serverLogRaw` with `LL_RAW`: the startup logo).
pub(crate) fn log_raw(level: Level, text: &str) {
    write_if(level, text);
}

/// Whether log lines go to standard output (`logfile ""`).
pub(crate) fn logs_to_stdout() -> bool {
    SINK.lock()
        .map(|sink| sink.as_ref().is_none_or(|sink| sink.path.is_empty()))
        .unwrap_or(true)
}

fn write_if(level: Level, line: &str) {
    let Ok(sink) = SINK.lock() else {
        return;
    };
    let (path, minimum) = match &*sink {
        Some(sink) => (sink.path.as_str(), sink.level),
        None => ("", Level::Notice),
    };
    if level < minimum {
        return;
    }
    if path.is_empty() {
        let _ = std::io::stdout().write_all(line.as_bytes());
    } else if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(path) {
        let _ = file.write_all(line.as_bytes());
    }
}

/// `24 Nov 2026 17:41:47.123` in UTC.
fn timestamp() -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = now.as_secs() as i64;
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let second_of_day = seconds.rem_euclid(86_400);
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        day,
        MONTHS[(month - 1) as usize],
        year,
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        now.subsec_millis()
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_416), (2025, 11, 24));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
