package recstore

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// spoolBlock is the span of each checksum a spool file carries: a part is
// checked against the blocks it covers before it is sent, so that a file
// damaged on disk is never uploaded, and the checks read nothing twice
// when the part size is a multiple of it (as MinPartSize and the default
// are).
const spoolBlock = 1 << 20

// castagnoli is the table of the spool files' checksums (CRC32C).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// blockSums are the CRC32Cs of a spool file's blocks, computed as it is
// written: every block but the last is spoolBlock long. They are kept in
// the journal as 4 bytes each, big-endian.
type blockSums struct {
	sums    []uint32
	partial uint32 // the CRC32C of the last block's bytes so far
	size    int64
}

// write accounts p, written at the end of the file.
func (b *blockSums) write(p []byte) {
	for len(p) > 0 {
		n := min(int64(len(p)), spoolBlock-b.size%spoolBlock)
		b.partial = crc32.Update(b.partial, castagnoli, p[:n])
		b.size += n
		p = p[n:]
		if b.size%spoolBlock == 0 {
			b.sums, b.partial = append(b.sums, b.partial), 0
		}
	}
}

// complete are the sums of the blocks complete so far, and the bytes they
// cover; a Recording's live upload may send what they cover.
func (b *blockSums) complete() ([]uint32, int64) {
	return b.sums[:len(b.sums):len(b.sums)], int64(len(b.sums)) * spoolBlock
}

// encode is the journal's form of the sums of the whole file.
func (b *blockSums) encode() []byte {
	out := make([]byte, 0, 4*(len(b.sums)+1))
	for _, s := range b.sums {
		out = binary.BigEndian.AppendUint32(out, s)
	}
	if b.size%spoolBlock != 0 || b.size == 0 {
		out = binary.BigEndian.AppendUint32(out, b.partial)
	}
	return out
}

// decodeSums reads the journal's form of the sums.
func decodeSums(enc []byte) []uint32 {
	sums := make([]uint32, len(enc)/4)
	for i := range sums {
		sums[i] = binary.BigEndian.Uint32(enc[4*i:])
	}
	return sums
}

// sumFile computes the block sums of a file, for one a crash left half
// written, whose sums were never recorded, and for Adopt.
func sumFile(path string) (*blockSums, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b blockSums
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		b.write(buf[:n])
		if err == io.EOF {
			return &b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// verifySpan checks data, read at off from f (of size bytes), against
// sums: each block it touches must have its recorded checksum. The bytes of
// a block outside data (when parts and blocks do not align) are read from f.
func verifySpan(f io.ReaderAt, size int64, sums []uint32, off int64, data []byte) error {
	end := off + int64(len(data))
	for b := off / spoolBlock; b*spoolBlock < end; b++ {
		start, stop := b*spoolBlock, min((b+1)*spoolBlock, size)
		if b >= int64(len(sums)) {
			return fmt.Errorf("%w: bytes from %d have no recorded checksum", errDamaged, start)
		}
		sum, err := crcOfRange(f, 0, start, off)
		if err == nil {
			sum = crc32.Update(sum, castagnoli, data[max(start, off)-off:min(stop, end)-off])
			sum, err = crcOfRange(f, sum, end, stop)
		}
		if err != nil {
			return err
		}
		if sum != sums[b] {
			return fmt.Errorf("%w: bytes %d to %d have CRC32C %08x, written as %08x", errDamaged, start, stop, sum, sums[b])
		}
	}
	return nil
}

// crcOfRange extends sum with f's bytes from off to end, if any.
func crcOfRange(f io.ReaderAt, sum uint32, off, end int64) (uint32, error) {
	if off >= end {
		return sum, nil
	}
	buf := make([]byte, min(end-off, 64<<10))
	r := io.NewSectionReader(f, off, end-off)
	for {
		n, err := r.Read(buf)
		sum = crc32.Update(sum, castagnoli, buf[:n])
		switch {
		case err == io.EOF: // a file cut short ends early: its sum then differs
			return sum, nil
		case err != nil:
			return 0, err
		}
	}
}
