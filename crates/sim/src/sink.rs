//! The writer thread: blk records and truth entries are serialized and written on a
//! second core while the world builds the next block. One thread, one queue: the
//! output order (and so every byte) is the order the world sends in.

use crate::truth::{TruthWriter, TxRecord};
use chain::BlockHash;
use chain::blkfile::BlkWriter;
use std::io;
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

/// What the writer thread is asked to do.
enum Message {
    /// Wallet names by id, for the truth entries that follow.
    Names(Arc<Vec<String>>),
    /// A block record made of these parts.
    Block(Vec<Vec<u8>>),
    /// The truth of one main-chain block's transactions.
    Transactions { block_hash: BlockHash, height: u32, records: Vec<TxRecord> },
}

/// Sends writes to the writer thread.
pub struct Sink {
    sender: Option<SyncSender<Message>>,
    handle: Option<JoinHandle<io::Result<(BlkWriter, TruthWriter)>>>,
}

impl Sink {
    /// Starts the writer thread.
    pub fn start(mut blocks: BlkWriter, mut truth: TruthWriter) -> Self {
        // A few blocks in flight bound the memory.
        let (sender, receiver) = sync_channel::<Message>(4);
        let handle = std::thread::spawn(move || -> io::Result<(BlkWriter, TruthWriter)> {
            let mut names = Arc::new(Vec::new());
            for message in receiver {
                match message {
                    Message::Names(n) => names = n,
                    Message::Block(parts) => {
                        let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
                        blocks.write_block_parts(&parts)?;
                    }
                    Message::Transactions { block_hash, height, records } => {
                        for (i, record) in records.iter().enumerate() {
                            truth.transaction(record, &block_hash, height, i, &names)?;
                        }
                    }
                }
            }
            Ok((blocks, truth))
        });
        Self { sender: Some(sender), handle: Some(handle) }
    }

    fn send(&self, message: Message) -> io::Result<()> {
        let sender = self.sender.as_ref().ok_or_else(|| io::Error::other("writer already finished"))?;
        // A closed channel means the writer failed: `finish` reports why.
        sender.send(message).map_err(|_| io::Error::other("writer thread stopped"))
    }

    /// Sets the wallet names truth entries use.
    pub fn names(&self, names: Vec<String>) -> io::Result<()> {
        self.send(Message::Names(Arc::new(names)))
    }

    /// Writes a block record made of `parts`.
    pub fn block(&self, parts: Vec<Vec<u8>>) -> io::Result<()> {
        self.send(Message::Block(parts))
    }

    /// Writes the truth of a main-chain block's transactions.
    pub fn transactions(&self, block_hash: BlockHash, height: u32, records: Vec<TxRecord>) -> io::Result<()> {
        self.send(Message::Transactions { block_hash, height, records })
    }

    /// Waits for every write and returns the writers.
    ///
    /// # Errors
    /// The first I/O error the writer thread met.
    pub fn finish(mut self) -> io::Result<(BlkWriter, TruthWriter)> {
        drop(self.sender.take());
        let handle = self.handle.take().ok_or_else(|| io::Error::other("writer already finished"))?;
        handle.join().map_err(|_| io::Error::other("writer thread panicked"))?
    }
}
