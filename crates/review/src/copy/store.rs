//! The index on disk: a versioned little-endian binary file, so a campaign's index is
//! built once and loaded in a fraction of the time. Hand-written rather than serde:
//! the two large arrays load as plain `u32`s, several times faster than element-wise
//! decoding, and the header lets a file from another version be refused clearly.

use std::io::{self, Read, Write};

use super::index::{DocInfo, DocKind, DocMeta, Index, IndexError, MAX_DOCS, Params};
use super::postings::Sorted;

const MAGIC: &[u8; 8] = b"MJINDEX\0";
/// Bumped whenever the layout or the fingerprinting changes.
pub const FORMAT_VERSION: u32 = 2;

fn put_u32(out: &mut impl Write, v: u32) -> io::Result<()> {
    out.write_all(&v.to_le_bytes())
}

fn put_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    put_u32(out, s.len() as u32)?;
    out.write_all(s.as_bytes())
}

fn put_u32_iter(out: &mut impl Write, len: usize, values: impl Iterator<Item = u32>) -> io::Result<()> {
    put_u32(out, len as u32)?;
    let mut bytes = Vec::with_capacity(len.min(1 << 20) * 4);
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
        if bytes.len() >= 4 << 20 {
            out.write_all(&bytes)?;
            bytes.clear();
        }
    }
    out.write_all(&bytes)
}

/// Writes the index (pending postings merged first).
pub fn write_index(index: &mut Index, out: &mut impl Write) -> io::Result<()> {
    index.merge();
    out.write_all(MAGIC)?;
    put_u32(out, FORMAT_VERSION)?;
    put_u32(out, index.params.k as u32)?;
    put_u32(out, index.params.w as u32)?;
    put_u32(out, index.authors.len() as u32)?;
    for author in &index.authors {
        put_str(out, author)?;
    }
    put_u32(out, index.docs.len() as u32)?;
    for doc in &index.docs {
        put_str(out, &doc.id)?;
        put_u32(out, doc.author.unwrap_or(u32::MAX))?;
        out.write_all(&[doc.kind.code(), u8::from(doc.removed)])?;
        put_u32(out, doc.chars)?;
    }
    // The flat sorted arrays, as before long runs were stored apart: how the postings lie in memory is not the
    // file's business.
    let postings = index.sorted.len();
    put_u32_iter(out, postings, index.sorted.iter().map(|(h, _)| h))?;
    put_u32_iter(out, postings, index.sorted.iter().map(|(_, d)| d))
}

/// A reader that turns short reads into "corrupt" errors.
struct Input<R> {
    inner: R,
}

impl<R: Read> Input<R> {
    fn bytes(&mut self, n: usize) -> Result<Vec<u8>, IndexError> {
        let mut buf = Vec::new();
        (&mut self.inner).take(n as u64).read_to_end(&mut buf).map_err(|e| IndexError::Corrupt(e.to_string()))?;
        if buf.len() != n {
            return Err(IndexError::Corrupt("文件提前结束".into()));
        }
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32, IndexError> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A length that must stay below `max`, so a corrupt file cannot ask for terabytes.
    fn len(&mut self, max: usize) -> Result<usize, IndexError> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(IndexError::Corrupt(format!("长度 {n} 超出范围")));
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, IndexError> {
        let n = self.len(1 << 16)?;
        String::from_utf8(self.bytes(n)?).map_err(|_| IndexError::Corrupt("文档编号不是有效的 UTF-8".into()))
    }

    fn u32s(&mut self) -> Result<Vec<u32>, IndexError> {
        let n = self.len(u32::MAX as usize)?;
        // Read in chunks so a lying length fails at the end of the file, not in malloc.
        let mut values = Vec::new();
        let mut left = n;
        while left > 0 {
            let take = left.min(1 << 20);
            let bytes = self.bytes(take * 4)?;
            values.extend(bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])));
            left -= take;
        }
        Ok(values)
    }
}

/// Reads an index written by [`write_index`].
pub fn read_index(input: impl Read) -> Result<Index, IndexError> {
    let mut input = Input { inner: input };
    if input.bytes(MAGIC.len()).map_err(|_| IndexError::NotAnIndex)? != MAGIC {
        return Err(IndexError::NotAnIndex);
    }
    let version = input.u32()?;
    if version != FORMAT_VERSION {
        return Err(IndexError::Version { found: version, expected: FORMAT_VERSION });
    }
    let params = Params { k: input.len(64)?, w: input.len(64)? };
    if params.k == 0 || params.w == 0 {
        return Err(IndexError::Corrupt("参数无效".into()));
    }
    let mut index = Index::new(params);
    let authors = input.len(u32::MAX as usize)?;
    for n in 0..authors {
        let name = input.string()?;
        index.author_ids.insert(name.clone(), n as u32);
        index.authors.push(name);
    }
    let docs = input.len(MAX_DOCS)?;
    for n in 0..docs {
        let id = input.string()?;
        let author = Some(input.u32()?).filter(|a| *a != u32::MAX);
        if author.is_some_and(|a| a as usize >= authors) {
            return Err(IndexError::Corrupt("作者编号超出范围".into()));
        }
        let flags = input.bytes(2)?;
        let kind = DocKind::from_code(flags[0]).ok_or_else(|| IndexError::Corrupt("文档类型未知".into()))?;
        let removed = flags[1] != 0;
        let chars = input.u32()?;
        if !removed {
            index.by_id.insert(id.clone(), n as u32);
        }
        index.info.push(DocInfo { author: author.unwrap_or(u32::MAX), kind, removed });
        index.docs.push(DocMeta { id, author, kind, chars, removed });
    }
    let hashes = input.u32s()?;
    let postings = input.u32s()?;
    if hashes.len() != postings.len()
        || postings.iter().any(|d| *d as usize >= docs)
        // Lookups rely on the order: by hash, then document, each posting once.
        || (1..hashes.len()).any(|i| (hashes[i - 1], postings[i - 1]) >= (hashes[i], postings[i]))
    {
        return Err(IndexError::Corrupt("倒排表不一致".into()));
    }
    index.sorted = Sorted::from_parallel(&hashes, &postings);
    index.count_common_authors();
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copy::skeleton::Skeleton;

    fn sample() -> Index {
        let mut index = Index::default();
        for (id, author, text) in [
            ("a", Some("张三"), "对照党章党规查摆自身问题时避重就轻，满足于一般性地找差距，没有触及思想深处"),
            ("b", None, "在推进基层政务服务体系建设中，对窗口工作人员的日常管理思考不深、措施不多"),
        ] {
            let skeleton = Skeleton::from_chars(&text.chars().collect::<Vec<_>>());
            index.add(id, author, DocKind::Member, &skeleton).expect("add");
        }
        index
    }

    #[test]
    fn round_trip_keeps_everything() {
        let mut index = sample();
        let mut bytes = Vec::new();
        write_index(&mut index, &mut bytes).expect("write");
        let loaded = read_index(bytes.as_slice()).expect("read");
        assert_eq!(loaded.docs, index.docs);
        assert!(loaded.sorted.iter().eq(index.sorted.iter()));
        assert_eq!(loaded.authors, index.authors);
        assert_eq!(loaded.params(), index.params());
    }

    #[test]
    fn other_version_and_garbage_are_refused_clearly() {
        let mut bytes = Vec::new();
        write_index(&mut sample(), &mut bytes).expect("write");
        let mut other = bytes.clone();
        other[8..12].copy_from_slice(&99u32.to_le_bytes());
        let error = read_index(other.as_slice()).expect_err("refused");
        assert_eq!(error, IndexError::Version { found: 99, expected: FORMAT_VERSION });
        assert!(error.to_string().contains("重新生成"));
        assert_eq!(read_index(&b"hello world"[..]).expect_err("refused"), IndexError::NotAnIndex);
        let truncated = &bytes[..bytes.len() - 3];
        assert!(matches!(read_index(truncated), Err(IndexError::Corrupt(_))));
    }
}
