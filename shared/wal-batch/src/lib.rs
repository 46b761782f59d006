//! A SQLite VFS shim that hands each WAL commit to the OS in one `pwrite`.
//!
//! SQLite appends a transaction to the write-ahead log as frames: for each
//! dirty page a 24-byte frame header and the page, each its own `xWrite`
//! (`walWriteOneFrame`), so a tap that dirties 13 pages makes 26 `pwrite`
//! system calls — a quarter of the tap's time on ext4 (BENCHMARKS.md). This
//! shim sits in front of the platform's default VFS and, for WAL files only,
//! gathers consecutive writes in memory and writes them at once:
//!
//! - when the page that follows a **commit frame's** header arrives (the
//!   header's "database size after commit" field is non-zero): the last write
//!   of a commit, done before SQLite publishes the new frames in the shared
//!   index, so no reader — this process or another — can see a frame that is
//!   not in the file yet;
//! - before any other operation on the file (read, sync, truncate, size,
//!   file control, close), so SQLite never observes the buffer;
//! - when a write is not contiguous with the gathered bytes, or past 256 KiB
//!   (in writes of at most 120 KiB, which the unix VFS requires).
//!
//! Bytes still gathered when the connection gives up the WAL write lock
//! belong to a transaction that rolled back after spilling pages (a commit
//! flushed them already): they are dropped there, so they can never land on
//! top of frames another connection commits next. A WAL file is gathered
//! only when its database file was opened through the shim too (it sees that
//! unlock); otherwise it is passed through.
//!
//! Everything else (database file, journals, locks, shared memory, mmap) is
//! passed through untouched, and the file format is unchanged: a store
//! written through the shim opens with plain SQLite and the other way round.
//! A write error is reported by the write that flushes (the commit's last),
//! so SQLite sees the commit fail and rolls back, as it would have.
//!
//! All of Kept's `unsafe` code is here (the workspace forbids it elsewhere).

use rusqlite::ffi;
use std::ffi::{c_int, c_void, CStr};
use std::sync::OnceLock;

/// The name connections pass to open through the shim.
pub const VFS_NAME: &CStr = c"kept-wal-batch";

/// Gathered bytes are written once they pass this size.
const FLUSH_AT: usize = 256 << 10;
/// The most one real write is given: the unix VFS masks a write's length to
/// 17 bits (`nBuf &= 0x1ffff` in `seekAndWriteFd`), found by this crate's
/// test of a transaction larger than the buffer.
const MAX_WRITE: usize = 120 << 10;
/// Size of a WAL frame header (`WAL_FRAME_HDRSIZE` in SQLite).
const FRAME_HEADER: usize = 24;

/// Registers the shim (once per process, not as the default VFS) and returns
/// its name for `Connection::open_with_flags_and_vfs`. Err when SQLite has no
/// default VFS to wrap or refuses the registration; callers then open with
/// the default VFS (the shim only saves time).
pub fn register() -> Result<&'static str, String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED.get_or_init(register_once).clone()?;
    VFS_NAME.to_str().map_err(|e| e.to_string())
}

/// Opens `path` read-write (created if missing) through the shim, or through
/// the default VFS when the shim cannot be registered.
pub fn open(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    match register() {
        Ok(name) => rusqlite::Connection::open_with_flags_and_vfs(path, rusqlite::OpenFlags::default(), name),
        Err(_) => rusqlite::Connection::open(path),
    }
}

/// Writes the shim handed to WAL files (each a whole commit, or a part of a
/// long transaction), for tests and the benchmark.
static WAL_WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many writes the shim has made to WAL files in this process.
pub fn wal_writes() -> u64 {
    WAL_WRITES.load(std::sync::atomic::Ordering::Relaxed)
}

/// The default VFS the shim wraps (set once by `register_once`).
struct Real(*mut ffi::sqlite3_vfs);
// SAFETY: a registered sqlite3_vfs is immutable and lives for the process;
// SQLite itself calls it from any thread.
unsafe impl Send for Real {}
// SAFETY: as above.
unsafe impl Sync for Real {}
static REAL: OnceLock<Real> = OnceLock::new();

fn register_once() -> Result<(), String> {
    // SAFETY: sqlite3_vfs_find(NULL) returns the default VFS or NULL; both
    // are checked. The copy below is a plain C struct of pointers.
    unsafe {
        if ffi::sqlite3_initialize() != ffi::SQLITE_OK {
            return Err("SQLite could not be initialised".into());
        }
        let real = ffi::sqlite3_vfs_find(std::ptr::null());
        if real.is_null() {
            return Err("SQLite has no default VFS".into());
        }
        let _ = REAL.set(Real(real));
        // A copy of the default VFS (its other methods read its own fields,
        // e.g. pAppData and mxPathname), with a bigger file object and our
        // xOpen. Leaked: SQLite keeps a pointer to it for the process.
        let mut vfs: ffi::sqlite3_vfs = *real;
        vfs.zName = VFS_NAME.as_ptr();
        vfs.pNext = std::ptr::null_mut();
        vfs.szOsFile = c_int::try_from(std::mem::size_of::<ShimFile>())
            .ok()
            .and_then(|n| n.checked_add((*real).szOsFile))
            .ok_or("VFS file size overflows")?;
        vfs.xOpen = Some(x_open);
        let vfs = Box::into_raw(Box::new(vfs));
        match ffi::sqlite3_vfs_register(vfs, 0) {
            ffi::SQLITE_OK => Ok(()),
            rc => Err(format!("SQLite refused the VFS (code {rc})")),
        }
    }
}

/// The file object SQLite allocates for us (`szOsFile` bytes): our part
/// first, the real VFS's file right after it.
#[repr(C)]
struct ShimFile {
    /// What SQLite sees: its `pMethods` points at [`METHODS`] once open.
    base: ffi::sqlite3_file,
    /// The real file (inside the same allocation, after this struct).
    real: *mut ffi::sqlite3_file,
    /// Gathered writes, for a WAL file only (owned; freed in `x_close`).
    wal: *mut Gather,
    /// A WAL file's database file and the other way round (same connection),
    /// or null; each clears the other's link when it closes.
    pair: *mut ShimFile,
}

/// Consecutive writes not yet handed to the real file.
#[derive(Default)]
struct Gather {
    /// File offset of `bytes[0]`.
    at: i64,
    bytes: Vec<u8>,
    /// The last write was a commit frame's header: its page ends the commit.
    commit_next: bool,
}

/// # Safety
/// `f` is a file object SQLite allocated for this VFS and opened by `x_open`.
unsafe fn parts<'a>(f: *mut ffi::sqlite3_file) -> (*mut ffi::sqlite3_file, Option<&'a mut Gather>) {
    // SAFETY: per the contract, `f` points at a live ShimFile.
    let s = unsafe { &mut *(f as *mut ShimFile) };
    // SAFETY: `wal` is null or the Box leaked by x_open, used by one
    // connection at a time (SQLite serialises calls on a file).
    (s.real, unsafe { s.wal.as_mut() })
}

/// # Safety
/// `real` is an open file of the real VFS.
unsafe fn real_methods<'a>(real: *mut ffi::sqlite3_file) -> &'a ffi::sqlite3_io_methods {
    // SAFETY: an open file's pMethods is non-null and static.
    unsafe { &*(*real).pMethods }
}

/// Writes the gathered bytes to the real file; clears them either way.
///
/// # Safety
/// `real` is an open file of the real VFS.
unsafe fn flush(real: *mut ffi::sqlite3_file, g: &mut Gather) -> c_int {
    g.commit_next = false;
    if g.bytes.is_empty() {
        return ffi::SQLITE_OK;
    }
    // SAFETY: real is open (the caller's contract).
    let Some(write) = (unsafe { real_methods(real) }).xWrite else {
        g.bytes.clear();
        return ffi::SQLITE_IOERR_WRITE;
    };
    let mut rc = ffi::SQLITE_OK;
    let mut at = g.at;
    for chunk in g.bytes.chunks(MAX_WRITE) {
        // Both fit: a chunk is at most MAX_WRITE bytes.
        let (n, step) = (chunk.len() as c_int, chunk.len() as i64);
        WAL_WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: real is open; chunk is a live buffer of n bytes.
        rc = unsafe { write(real, chunk.as_ptr().cast(), n, at) };
        if rc != ffi::SQLITE_OK {
            break;
        }
        at += step;
    }
    g.bytes.clear();
    if g.bytes.capacity() > FLUSH_AT * 2 {
        g.bytes.shrink_to(FLUSH_AT);
    }
    rc
}

/// Flushes a WAL file's gathered bytes before another operation on it.
///
/// # Safety
/// As [`parts`].
unsafe fn settle(f: *mut ffi::sqlite3_file) -> (*mut ffi::sqlite3_file, c_int) {
    // SAFETY: per the contract.
    let (real, g) = unsafe { parts(f) };
    let rc = match g {
        // SAFETY: real is the open file g belongs to.
        Some(g) => unsafe { flush(real, g) },
        None => ffi::SQLITE_OK,
    };
    (real, rc)
}

unsafe extern "C" fn x_open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let Some(Real(real_vfs)) = REAL.get() else { return ffi::SQLITE_CANTOPEN };
    let shim = file as *mut ShimFile;
    // SAFETY: SQLite allocated szOsFile bytes at `file` (aligned for any
    // sqlite3_file); the real file lives right after our struct, whose size
    // is a multiple of the pointer alignment.
    unsafe {
        let real = (file as *mut u8).add(std::mem::size_of::<ShimFile>()) as *mut ffi::sqlite3_file;
        let closed = ffi::sqlite3_file { pMethods: std::ptr::null() };
        std::ptr::write(shim, ShimFile { base: closed, real, wal: std::ptr::null_mut(), pair: std::ptr::null_mut() });
        let Some(open) = (**real_vfs).xOpen else { return ffi::SQLITE_CANTOPEN };
        let rc = open(*real_vfs, name, real, flags, out_flags);
        if rc != ffi::SQLITE_OK || (*real).pMethods.is_null() {
            return rc;
        }
        if flags & ffi::SQLITE_OPEN_WAL != 0 && !name.is_null() {
            // The connection's database file: gather only if it is ours too.
            let db = ffi::sqlite3_database_file_object(name) as *mut ShimFile;
            if !db.is_null() && std::ptr::eq((*db).base.pMethods, &METHODS) && (*db).pair.is_null() {
                (*db).pair = shim;
                (*shim).pair = db;
                (*shim).wal = Box::into_raw(Box::<Gather>::default());
            }
        }
        (*shim).base.pMethods = &METHODS;
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn x_close(f: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite closes an open file once; the Box came from x_open.
    unsafe {
        let (real, rc) = settle(f);
        let s = &mut *(f as *mut ShimFile);
        if !s.pair.is_null() {
            (*s.pair).pair = std::ptr::null_mut();
            s.pair = std::ptr::null_mut();
        }
        if !s.wal.is_null() {
            drop(Box::from_raw(s.wal));
            s.wal = std::ptr::null_mut();
        }
        let closed = match real_methods(real).xClose {
            Some(c) => c(real),
            None => ffi::SQLITE_OK,
        };
        if rc != ffi::SQLITE_OK {
            rc
        } else {
            closed
        }
    }
}

unsafe extern "C" fn x_write(f: *mut ffi::sqlite3_file, buf: *const c_void, amt: c_int, at: i64) -> c_int {
    // SAFETY: f is open; buf holds amt bytes (SQLite's contract).
    unsafe {
        let (real, g) = parts(f);
        let Some(g) = g else {
            return match real_methods(real).xWrite {
                Some(w) => w(real, buf, amt, at),
                None => ffi::SQLITE_IOERR_WRITE,
            };
        };
        let Ok(n) = usize::try_from(amt) else { return ffi::SQLITE_IOERR_WRITE };
        let data = std::slice::from_raw_parts(buf.cast::<u8>(), n);
        let end = i64::try_from(g.bytes.len()).map_or(i64::MAX, |l| g.at.saturating_add(l));
        if !g.bytes.is_empty() && at != end {
            let rc = flush(real, g);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        if g.bytes.is_empty() {
            g.at = at;
        }
        g.bytes.extend_from_slice(data);
        let ends_commit = g.commit_next;
        // A frame header: bytes 4..8 are the database size after a commit
        // (zero for the other frames of a transaction).
        g.commit_next = n == FRAME_HEADER && data[4..8] != [0, 0, 0, 0];
        if ends_commit || g.bytes.len() >= FLUSH_AT {
            return flush(real, g);
        }
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn x_read(f: *mut ffi::sqlite3_file, buf: *mut c_void, amt: c_int, at: i64) -> c_int {
    // SAFETY: f is open; pass-through after the flush.
    unsafe {
        let (real, rc) = settle(f);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        match real_methods(real).xRead {
            Some(r) => r(real, buf, amt, at),
            None => ffi::SQLITE_IOERR_READ,
        }
    }
}

/// Pass-through methods: call the real file's method of the same name (or
/// answer `$none` if it has none); `settle` first flushes a WAL file's
/// gathered bytes, `direct` does not (shared memory, locks of the database
/// file, constants).
macro_rules! pass {
    (settle $name:ident, $field:ident, $none:expr, ($($arg:ident: $ty:ty),*)) => {
        unsafe extern "C" fn $name(f: *mut ffi::sqlite3_file $(, $arg: $ty)*) -> c_int {
            // SAFETY: f is open; the arguments are SQLite's, passed on as they are.
            unsafe {
                let (real, rc) = settle(f);
                if rc != ffi::SQLITE_OK {
                    return rc;
                }
                match real_methods(real).$field {
                    Some(m) => m(real $(, $arg)*),
                    None => $none,
                }
            }
        }
    };
    (direct $name:ident, $field:ident, $none:expr, ($($arg:ident: $ty:ty),*)) => {
        unsafe extern "C" fn $name(f: *mut ffi::sqlite3_file $(, $arg: $ty)*) -> c_int {
            // SAFETY: f is open; the arguments are SQLite's, passed on as they are.
            unsafe {
                let (real, _) = parts(f);
                match real_methods(real).$field {
                    Some(m) => m(real $(, $arg)*),
                    None => $none,
                }
            }
        }
    };
}

pass!(settle x_truncate, xTruncate, ffi::SQLITE_IOERR_TRUNCATE, (size: i64));
pass!(settle x_sync, xSync, ffi::SQLITE_OK, (flags: c_int));
pass!(settle x_file_size, xFileSize, ffi::SQLITE_IOERR_FSTAT, (size: *mut i64));
pass!(settle x_lock, xLock, ffi::SQLITE_OK, (level: c_int));
pass!(settle x_unlock, xUnlock, ffi::SQLITE_OK, (level: c_int));
pass!(settle x_check_reserved_lock, xCheckReservedLock, ffi::SQLITE_OK, (out: *mut c_int));
pass!(settle x_file_control, xFileControl, ffi::SQLITE_NOTFOUND, (op: c_int, arg: *mut c_void));
pass!(direct x_sector_size, xSectorSize, 4096, ());
pass!(direct x_device_characteristics, xDeviceCharacteristics, 0, ());
pass!(direct x_shm_map, xShmMap, ffi::SQLITE_IOERR_SHMMAP, (pg: c_int, size: c_int, extend: c_int, out: *mut *mut c_void));
pass!(direct x_shm_unmap, xShmUnmap, ffi::SQLITE_OK, (delete: c_int));
pass!(direct x_unfetch, xUnfetch, ffi::SQLITE_OK, (at: i64, p: *mut c_void));

/// `WAL_WRITE_LOCK`, the first of the WAL's shared-memory locks.
const WAL_WRITE_LOCK: c_int = 0;

unsafe extern "C" fn x_shm_lock(f: *mut ffi::sqlite3_file, offset: c_int, n: c_int, flags: c_int) -> c_int {
    // SAFETY: f is an open database file; its pair (if any) is its
    // connection's open WAL file, used on this same thread.
    unsafe {
        let s = &mut *(f as *mut ShimFile);
        let unlock = ffi::SQLITE_SHM_UNLOCK | ffi::SQLITE_SHM_EXCLUSIVE;
        if flags == unlock && offset <= WAL_WRITE_LOCK && WAL_WRITE_LOCK < offset.saturating_add(n) {
            // The write transaction is over. Bytes still gathered were never
            // committed (a commit flushes): a rolled-back spill. Drop them.
            if let Some(g) = s.pair.as_mut().and_then(|w| w.wal.as_mut()) {
                g.bytes.clear();
                g.commit_next = false;
            }
        }
        match real_methods(s.real).xShmLock {
            Some(m) => m(s.real, offset, n, flags),
            None => ffi::SQLITE_IOERR_SHMLOCK,
        }
    }
}

unsafe extern "C" fn x_fetch(f: *mut ffi::sqlite3_file, at: i64, amt: c_int, out: *mut *mut c_void) -> c_int {
    // SAFETY: f is open; `out` is SQLite's out-pointer.
    unsafe {
        let (real, _) = parts(f);
        match real_methods(real).xFetch {
            Some(m) => m(real, at, amt, out),
            None => {
                *out = std::ptr::null_mut();
                ffi::SQLITE_OK
            }
        }
    }
}

unsafe extern "C" fn x_shm_barrier(f: *mut ffi::sqlite3_file) {
    // SAFETY: f is open; a memory barrier has nothing to flush.
    unsafe {
        let (real, _) = parts(f);
        if let Some(b) = real_methods(real).xShmBarrier {
            b(real);
        }
    }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: Some(x_fetch),
    xUnfetch: Some(x_unfetch),
};

#[cfg(test)]
mod tests;
