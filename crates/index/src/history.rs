//! Per-address output lists: compressed sparse rows (CSR) in segment files.
//!
//! Each commit writes one segment for the outputs it added: the address ids that
//! received outputs (sorted), an offset per address, and the output numbers grouped
//! by address (ascending within each). A query binary-searches every segment; when
//! there are more than [`MAX_SEGMENTS`], they are merged into one. Segments are new
//! files named in the manifest, so a crash never leaves a half-written one in use.
#![allow(unsafe_code, reason = "memory maps need unsafe; segment files are immutable once written")]

use memmap2::{Mmap, MmapOptions};
use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Segments kept before they are merged into one.
pub const MAX_SEGMENTS: usize = 8;
const MAGIC: &[u8; 8] = b"CSHIST01";
const HEADER: usize = 8 + 8 + 8;

/// Sorts (address, output) pairs by address, keeping output order within an
/// address: an LSD radix sort on the 32-bit address, four 8-bit passes.
/// Hand-written because it is several times faster than a comparison sort here,
/// and the pairs arrive in output order already (which a stable sort keeps).
pub fn sort_by_address(pairs: &mut Vec<(u32, u64)>) {
    let mut scratch = vec![(0u32, 0u64); pairs.len()];
    for shift in [0u32, 8, 16, 24] {
        let mut counts = [0usize; 257];
        for &(a, _) in pairs.iter() {
            counts[((a >> shift) & 0xff) as usize + 1] += 1;
        }
        if counts[1..].contains(&pairs.len()) {
            continue; // every key has the same byte here
        }
        for i in 1..257 {
            counts[i] += counts[i - 1];
        }
        for &pair in pairs.iter() {
            let bucket = ((pair.0 >> shift) & 0xff) as usize;
            scratch[counts[bucket]] = pair;
            counts[bucket] += 1;
        }
        std::mem::swap(pairs, &mut scratch);
    }
}

/// Streams a segment to disk: outputs as they come, address ids and offsets kept
/// in memory (12 bytes per distinct address) and written after them.
struct SegmentWriter {
    out: BufWriter<File>,
    addresses: Vec<u32>,
    offsets: Vec<u64>,
    outputs: u64,
}

impl SegmentWriter {
    fn create(path: &Path) -> io::Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        out.write_all(&[0u8; HEADER])?; // patched by `finish`
        Ok(Self { out, addresses: Vec::new(), offsets: Vec::new(), outputs: 0 })
    }

    /// Appends an output of `address`; addresses must come in ascending order.
    fn push(&mut self, address: u32, output: u64) -> io::Result<()> {
        if self.addresses.last() != Some(&address) {
            self.addresses.push(address);
            self.offsets.push(self.outputs);
        }
        self.out.write_all(&output.to_le_bytes())?;
        self.outputs += 1;
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        self.offsets.push(self.outputs);
        for a in &self.addresses {
            self.out.write_all(&a.to_le_bytes())?;
        }
        for o in &self.offsets {
            self.out.write_all(&o.to_le_bytes())?;
        }
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(MAGIC)?;
        file.write_all(&(self.addresses.len() as u64).to_le_bytes())?;
        file.write_all(&self.outputs.to_le_bytes())?;
        file.sync_all()
    }
}

/// Writes a segment from pairs sorted by address (then output).
///
/// # Errors
/// On I/O errors.
pub fn write_segment(path: &Path, sorted: &[(u32, u64)]) -> io::Result<()> {
    let mut writer = SegmentWriter::create(path)?;
    for &(a, o) in sorted {
        writer.push(a, o)?;
    }
    writer.finish()
}

/// A segment opened for reading.
#[derive(Debug)]
pub struct Segment {
    map: Option<Mmap>,
    addresses: usize,
    outputs: usize,
    path: PathBuf,
}

impl Segment {
    /// Maps a segment file.
    ///
    /// # Errors
    /// On I/O errors or a file that is not a segment.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len() as usize;
        let bad = || io::Error::new(io::ErrorKind::InvalidData, format!("{}: not a history segment", path.display()));
        if len < HEADER {
            return Err(bad());
        }
        // SAFETY: segment files are written once, before the manifest names them,
        // and deleted only after no manifest names them.
        let map = unsafe { MmapOptions::new().len(len).map(&file)? };
        if &map[..8] != MAGIC {
            return Err(bad());
        }
        let addresses = u64::from_le_bytes(map[8..16].try_into().unwrap_or_default()) as usize;
        let outputs = u64::from_le_bytes(map[16..24].try_into().unwrap_or_default()) as usize;
        if len != HEADER + addresses * 4 + (addresses + 1) * 8 + outputs * 8 {
            return Err(bad());
        }
        Ok(Self { map: Some(map), addresses, outputs, path: path.to_owned() })
    }

    fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }

    /// Output `i` of the list (a damaged offset names one past the list: see
    /// [`crate::DamagedRead`]).
    fn output(&self, i: usize) -> u64 {
        if i >= self.outputs {
            let problem = format!("output {i} of the lists asked for, past its {} outputs", self.outputs);
            let damage = crate::DamagedRead { file: self.path.clone(), problem };
            std::panic::panic_any(damage);
        }
        let at = HEADER + i * 8;
        u64::from_le_bytes(self.bytes()[at..at + 8].try_into().unwrap_or_default())
    }

    fn address(&self, i: usize) -> u32 {
        let at = HEADER + self.outputs * 8 + i * 4;
        u32::from_le_bytes(self.bytes()[at..at + 4].try_into().unwrap_or_default())
    }

    fn offset(&self, i: usize) -> usize {
        let at = HEADER + self.outputs * 8 + self.addresses * 4 + i * 8;
        u64::from_le_bytes(self.bytes()[at..at + 8].try_into().unwrap_or_default()) as usize
    }

    /// The outputs paid to `address` in this segment, ascending.
    pub fn outputs_of(&self, address: u32) -> impl ExactSizeIterator<Item = u64> + '_ {
        let (mut lo, mut hi) = (0, self.addresses);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.address(mid) < address { lo = mid + 1 } else { hi = mid }
        }
        let range = if lo < self.addresses && self.address(lo) == address {
            self.offset(lo)..self.offset(lo + 1)
        } else {
            0..0
        };
        range.map(|i| self.output(i))
    }

    /// Number of outputs listed.
    pub fn len(&self) -> usize {
        self.outputs
    }

    /// True when the segment lists nothing.
    pub fn is_empty(&self) -> bool {
        self.outputs == 0
    }
}

/// Merges segments (oldest first) into one file, keeping only outputs below
/// `max_output` (all of them with `u64::MAX`): a streaming k-way merge by address,
/// each address's lists concatenated oldest segment first (so still ascending).
///
/// # Errors
/// On I/O errors.
pub fn merge(segments: &[Segment], max_output: u64, path: &Path) -> io::Result<()> {
    let mut writer = SegmentWriter::create(path)?;
    let mut cursors = vec![0usize; segments.len()];
    loop {
        let next = segments.iter().zip(&cursors).filter(|&(s, &c)| c < s.addresses).map(|(s, &c)| s.address(c)).min();
        let Some(address) = next else { break };
        for (segment, cursor) in segments.iter().zip(cursors.iter_mut()) {
            if *cursor < segment.addresses && segment.address(*cursor) == address {
                for j in segment.offset(*cursor)..segment.offset(*cursor + 1) {
                    let output = segment.output(j);
                    if output < max_output {
                        writer.push(address, output)?;
                    }
                }
                *cursor += 1;
            }
        }
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_sort_is_stable_by_address() {
        let mut pairs: Vec<(u32, u64)> = (0..10_000u64).map(|o| (((o * 7919) % 1013) as u32 * 65_537, o)).collect();
        let mut expected = pairs.clone();
        expected.sort_by_key(|p| p.0);
        sort_by_address(&mut pairs);
        assert_eq!(pairs, expected);
    }

    #[test]
    fn segments_answer_and_merge() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, m) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("m"));
        let mut first = vec![(5u32, 0u64), (2, 1), (5, 2), (9, 3)];
        sort_by_address(&mut first);
        write_segment(&a, &first).unwrap();
        let mut second = vec![(2u32, 4u64), (7, 5), (5, 6)];
        sort_by_address(&mut second);
        write_segment(&b, &second).unwrap();
        let segs = [Segment::open(&a).unwrap(), Segment::open(&b).unwrap()];
        assert_eq!(segs[0].outputs_of(5).collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(segs[0].outputs_of(3).count(), 0);
        merge(&segs, 6, &m).unwrap();
        let merged = Segment::open(&m).unwrap();
        assert_eq!(merged.outputs_of(5).collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(merged.outputs_of(2).collect::<Vec<_>>(), vec![1, 4]);
        assert_eq!(merged.outputs_of(7).count(), 1);
        assert_eq!(merged.len(), 6);
        std::fs::write(&m, b"junk").unwrap();
        assert!(Segment::open(&m).is_err());
    }
}
