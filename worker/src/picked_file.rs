//! A file the user picked, read slice by slice in the worker with `FileReaderSync`, so that a
//! file larger than the page should hold is never copied whole.
//!
//! The Parquet reader wants a source it may share between threads; a browser `File` is not
//! one, so the source names the file only by its length and reads it through a slot that
//! holds the one file being read in this (single-threaded) worker.

use std::cell::RefCell;
use std::io::Read;

use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};
use web_sys::{File, FileReaderSync};

thread_local! {
    static OPEN: RefCell<Option<File>> = const { RefCell::new(None) };
}

/// Bytes read per slice when reading straight through.
const SLICE: u64 = 4 << 20;

/// The file being read; there is one at a time, for as long as this value lives.
pub struct PickedFile {
    len: u64,
}

impl PickedFile {
    pub fn open(file: File) -> PickedFile {
        let len = file.size() as u64;
        OPEN.with(|slot| *slot.borrow_mut() = Some(file));
        PickedFile { len }
    }
}

impl Drop for PickedFile {
    fn drop(&mut self) {
        OPEN.with(|slot| *slot.borrow_mut() = None);
    }
}

fn read_slice(start: u64, end: u64) -> Result<Vec<u8>, String> {
    OPEN.with(|slot| {
        let slot = slot.borrow();
        let file = slot.as_ref().ok_or("the file is no longer open")?;
        let part = file
            .slice_with_f64_and_f64(start as f64, end as f64)
            .map_err(|e| format!("{e:?}"))?;
        let reader = FileReaderSync::new().map_err(|e| format!("{e:?}"))?;
        let buffer = reader
            .read_as_array_buffer(&part)
            .map_err(|e| format!("the browser could not read the file: {e:?}"))?;
        Ok(js_sys::Uint8Array::new(&buffer).to_vec())
    })
}

impl Length for PickedFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for PickedFile {
    type T = Slices;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Slices> {
        Ok(Slices {
            at: start,
            len: self.len,
            buffered: Vec::new(),
            used: 0,
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        read_slice(start, start + length as u64)
            .map(Bytes::from)
            .map_err(ParquetError::General)
    }
}

/// The file from some offset on, read a slice at a time.
pub struct Slices {
    at: u64,
    len: u64,
    buffered: Vec<u8>,
    used: usize,
}

impl Read for Slices {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.used >= self.buffered.len() {
            if self.at >= self.len {
                return Ok(0);
            }
            let end = (self.at + SLICE).min(self.len);
            self.buffered = read_slice(self.at, end).map_err(std::io::Error::other)?;
            self.used = 0;
            self.at = end;
        }
        let rest = self.buffered.get(self.used..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(rest.get(..n).unwrap_or_default());
        self.used += n;
        Ok(n)
    }
}
