//! The files of Monero mode, laid out as fixtures/monero-regtest: `blocks/NNNNNN.hex`,
//! `txs/<txid>.hex` and `ground_truth.json`.
//!
//! A writer thread hex-encodes and writes the blobs and the truth while the
//! simulation builds the next block, in the order they are sent, so every byte
//! is the same for a seed. The truth is streamed: transactions as their blocks
//! are made, the block entries into a side file appended after them, the wallets
//! and summary last. Whether an output is spent is known only later, so each
//! output is written `"spent":false` and the ones spent are patched in place to
//! `"spent":true ` (same length; JSON allows the space) once the file is complete.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

/// What the writer thread is asked to write.
enum Message {
    /// A block blob at a height.
    Block(u64, Vec<u8>),
    /// A non-coinbase transaction blob and its txid.
    Tx([u8; 32], Vec<u8>),
    /// Bytes of ground_truth.json.
    Truth(Vec<u8>),
    /// Bytes of the block entries' side file.
    BlockTruth(Vec<u8>),
}

/// The truth file and the side file holding its `blocks` entries.
struct TruthFiles {
    main: BufWriter<File>,
    blocks: BufWriter<File>,
}

/// What the writer thread hands back: bytes of blob files, and the truth files.
type Written = io::Result<(u64, Option<TruthFiles>)>;

/// Where everything goes.
pub struct Files {
    sender: Option<SyncSender<Message>>,
    handle: Option<JoinHandle<Written>>,
    truth_path: Option<PathBuf>,
    blocks_part: PathBuf,
    truth_pos: u64,
    patches: Vec<u64>,
}

/// Removes the `.hex` files a previous run left in `dir`.
fn clear_hex(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "hex") {
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}

impl Files {
    /// Creates `out/blocks` and `out/txs` (emptied of earlier `.hex` files) and,
    /// with `truth`, the truth files, and starts the writer thread.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn create(out: &Path, truth: bool) -> io::Result<Self> {
        let blocks_dir = out.join("blocks");
        let txs_dir = out.join("txs");
        for dir in [&blocks_dir, &txs_dir] {
            fs::create_dir_all(dir)?;
            clear_hex(dir)?;
        }
        let truth_path = out.join("ground_truth.json");
        let blocks_part = out.join(".ground_truth.blocks.part");
        if !truth && truth_path.exists() {
            // A truth from an earlier run would not describe these files.
            fs::remove_file(&truth_path)?;
        }
        let mut files = if truth {
            Some(TruthFiles {
                main: BufWriter::with_capacity(1 << 20, File::create(&truth_path)?),
                blocks: BufWriter::with_capacity(1 << 16, File::create(&blocks_part)?),
            })
        } else {
            None
        };
        // A few blocks' worth in flight bounds the memory.
        let (sender, receiver) = sync_channel::<Message>(256);
        let handle = std::thread::spawn(move || -> Written {
            let mut bytes = 0u64;
            let mut hex = Vec::new();
            let mut write_hex = |path: PathBuf, blob: &[u8]| -> io::Result<u64> {
                hex.resize(blob.len() * 2, 0);
                hex::encode_to_slice(blob, &mut hex).map_err(io::Error::other)?;
                hex.push(b'\n');
                fs::write(path, &hex)?;
                Ok(hex.len() as u64)
            };
            for message in receiver {
                match message {
                    Message::Block(height, blob) => {
                        bytes += write_hex(blocks_dir.join(format!("{height:06}.hex")), &blob)?;
                    }
                    Message::Tx(txid, blob) => {
                        bytes += write_hex(txs_dir.join(format!("{}.hex", hex::encode(txid))), &blob)?;
                    }
                    Message::Truth(b) => {
                        if let Some(f) = files.as_mut() {
                            f.main.write_all(&b)?;
                        }
                    }
                    Message::BlockTruth(b) => {
                        if let Some(f) = files.as_mut() {
                            f.blocks.write_all(&b)?;
                        }
                    }
                }
            }
            Ok((bytes, files))
        });
        Ok(Self {
            sender: Some(sender),
            handle: Some(handle),
            truth_path: truth.then_some(truth_path),
            blocks_part,
            truth_pos: 0,
            patches: Vec::new(),
        })
    }

    /// Whether the truth is written.
    pub fn has_truth(&self) -> bool {
        self.truth_path.is_some()
    }

    fn send(&self, message: Message) -> io::Result<()> {
        let sender = self.sender.as_ref().ok_or_else(|| io::Error::other("writer already finished"))?;
        // A closed channel means the writer failed: `finish` reports why.
        sender.send(message).map_err(|_| io::Error::other("writer thread stopped"))
    }

    /// Writes a block blob.
    pub fn block(&self, height: u64, blob: Vec<u8>) -> io::Result<()> {
        self.send(Message::Block(height, blob))
    }

    /// Writes a non-coinbase transaction blob.
    pub fn tx(&self, txid: [u8; 32], blob: Vec<u8>) -> io::Result<()> {
        self.send(Message::Tx(txid, blob))
    }

    /// Byte offset in ground_truth.json where the next truth bytes go.
    pub fn truth_pos(&self) -> u64 {
        self.truth_pos
    }

    /// Appends bytes to ground_truth.json (nothing without truth).
    pub fn truth(&mut self, bytes: Vec<u8>) -> io::Result<()> {
        if self.has_truth() {
            self.truth_pos += bytes.len() as u64;
            self.send(Message::Truth(bytes))?;
        }
        Ok(())
    }

    /// Appends bytes to the `blocks` entries (nothing without truth).
    pub fn block_truth(&self, bytes: Vec<u8>) -> io::Result<()> {
        if self.has_truth() { self.send(Message::BlockTruth(bytes)) } else { Ok(()) }
    }

    /// Marks the output whose `spent` value is at `offset` spent.
    pub fn mark_spent(&mut self, offset: u64) {
        if self.has_truth() {
            self.patches.push(offset);
        }
    }

    /// Waits for the writer, then completes ground_truth.json: `between` after
    /// the transactions, the block entries, then `tail`; then patches the spent
    /// outputs. Returns the bytes written and the truth file.
    ///
    /// # Errors
    /// The first I/O error met.
    pub fn finish(mut self, between: &[u8], tail: &[u8]) -> io::Result<(u64, Option<PathBuf>)> {
        drop(self.sender.take());
        let handle = self.handle.take().ok_or_else(|| io::Error::other("writer already finished"))?;
        let (mut bytes, files) = handle.join().map_err(|_| io::Error::other("writer thread panicked"))??;
        let (Some(mut files), Some(path)) = (files, self.truth_path.take()) else {
            return Ok((bytes, None));
        };
        files.main.write_all(between)?;
        files.blocks.flush()?;
        drop(files.blocks);
        io::copy(&mut File::open(&self.blocks_part)?, &mut files.main)?;
        fs::remove_file(&self.blocks_part)?;
        files.main.write_all(tail)?;
        files.main.into_inner().map_err(io::IntoInnerError::into_error)?.sync_all()?;
        self.patches.sort_unstable();
        let mut patched = BufWriter::with_capacity(1 << 12, OpenOptions::new().write(true).open(&path)?);
        for &offset in &self.patches {
            patched.seek(SeekFrom::Start(offset))?;
            patched.write_all(b"true ")?;
        }
        patched.flush()?;
        bytes += fs::metadata(&path)?.len();
        Ok((bytes, Some(path)))
    }
}
