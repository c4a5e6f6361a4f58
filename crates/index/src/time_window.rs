//! Dates as block heights: an investigator's window ("from 2024-03-01 to
//! 2024-03-15") becomes the heights the index is keyed by.
//!
//! Block times are not monotonic (a header only has to beat the median of the
//! eleven before it), so a date's height is found by a scan in chain order, not
//! a binary search: the first block stamped at or after a start, the last block
//! stamped at or before an end. A scan reads four bytes per block (under a
//! million blocks on mainnet).

use crate::Index;
use crate::ids::Height;

/// An instant or a whole UTC day, as the first and last second it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSpan {
    /// Its first second (Unix time).
    pub first: u32,
    /// Its last second (Unix time).
    pub last: u32,
}

impl std::str::FromStr for TimeSpan {
    type Err = String;

    /// `YYYY-MM-DD` (the whole UTC day), an RFC 3339 time (`2024-03-01T12:00:00Z`,
    /// or with a space and no zone, read as UTC), or Unix seconds.
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Ok(seconds) = text.parse::<u32>() {
            return Ok(Self { first: seconds, last: seconds });
        }
        let bad = || format!("{text:?} is not a date (YYYY-MM-DD), an RFC 3339 time or Unix seconds");
        let (stamp, whole_day) =
            if text.len() == 10 { (format!("{text}T00:00:00Z"), true) } else { (text.to_owned(), false) };
        let at = humantime::parse_rfc3339_weak(stamp.trim_end_matches('Z')).map_err(|_| bad())?;
        let seconds = at.duration_since(std::time::UNIX_EPOCH).map_err(|_| bad())?.as_secs();
        let first = u32::try_from(seconds).map_err(|_| format!("{text:?} is beyond the block times of 2106"))?;
        Ok(Self { first, last: if whole_day { first.saturating_add(86_399) } else { first } })
    }
}

impl Index {
    /// The timestamp of the block at `height`, if the index holds it.
    pub fn block_time(&self, height: Height) -> Option<u32> {
        let row = self.block_row(height)?;
        let header = self.columns.block_header.get(row);
        let at = chain::block::HEADER_TIME_OFFSET;
        Some(u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]))
    }

    /// The first block (in chain order) stamped at or after `time`.
    pub fn first_block_at_or_after(&self, time: u32) -> Option<Height> {
        let (first, tip) = self.height_range()?;
        (first..=tip).map(Height).find(|&h| self.block_time(h).is_some_and(|t| t >= time))
    }

    /// The last block (in chain order) stamped at or before `time`.
    pub fn last_block_at_or_before(&self, time: u32) -> Option<Height> {
        let (first, tip) = self.height_range()?;
        (first..=tip).rev().map(Height).find(|&h| self.block_time(h).is_some_and(|t| t <= time))
    }

    fn height_range(&self) -> Option<(u32, u32)> {
        let (tip, _) = self.tip()?;
        Some((self.manifest.start_height, tip.0))
    }
}

#[cfg(test)]
mod tests {
    use super::TimeSpan;

    #[test]
    fn a_day_covers_its_seconds_and_an_instant_is_one() {
        let day: TimeSpan = "2009-01-03".parse().unwrap();
        assert_eq!(day, TimeSpan { first: 1_230_940_800, last: 1_230_940_800 + 86_399 });
        let instant: TimeSpan = "2009-01-03T18:15:05Z".parse().unwrap();
        assert_eq!(instant, TimeSpan { first: 1_231_006_505, last: 1_231_006_505 });
        assert_eq!("2009-01-03 18:15:05".parse::<TimeSpan>().unwrap(), instant);
        assert_eq!("1231006505".parse::<TimeSpan>().unwrap(), instant);
        assert!("yesterday".parse::<TimeSpan>().unwrap_err().contains("\"yesterday\" is not a date"));
        assert!("2009-13-03".parse::<TimeSpan>().is_err());
    }
}
