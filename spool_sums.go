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

// blockTable is the table of the spool files' checksums: CRC-32 (IEEE),
// the checksum recstore's uploads send in crc32 mode, so that a part's own
// checksum, computed once, both checks the part against the blocks
// (crc32Combine) and goes with it to S3, which checks it again.
var blockTable = crc32.IEEETable

// blockSums are the CRC-32s of a spool file's blocks, computed as it is
// written: every block but the last is spoolBlock long. They are kept in
// the journal as 4 bytes each, big-endian.
type blockSums struct {
	sums    []uint32
	partial uint32 // the CRC-32 of the last block's bytes so far
	size    int64
}

// write accounts p, written at the end of the file.
func (b *blockSums) write(p []byte) {
	for len(p) > 0 {
		n := min(int64(len(p)), spoolBlock-b.size%spoolBlock)
		b.partial = crc32.Update(b.partial, blockTable, p[:n])
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
			sum = crc32.Update(sum, blockTable, data[max(start, off)-off:min(stop, end)-off])
			sum, err = crcOfRange(f, sum, end, stop)
		}
		if err != nil {
			return err
		}
		if sum != sums[b] {
			return fmt.Errorf("%w: bytes %d to %d have CRC-32 %08x, written as %08x", errDamaged, start, stop, sum, sums[b])
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
		sum = crc32.Update(sum, blockTable, buf[:n])
		switch {
		case err == io.EOF: // a file cut short ends early: its sum then differs
			return sum, nil
		case err != nil:
			return 0, err
		}
	}
}

// partSum checks a part of data, read at off from a file of size bytes,
// against sums, computing the part's CRC-32 in the same pass, and returns
// it: the checksum its UploadPart carries. It needs the part to start on
// a block and end on one or at the end of the file (as parts of a
// multiple of spoolBlock do); ok is false otherwise, and the caller
// checks with verifySpan.
func partSum(size int64, sums []uint32, off int64, data []byte) (sum uint32, ok bool, err error) {
	end := off + int64(len(data))
	if off%spoolBlock != 0 || end%spoolBlock != 0 && end != size || len(data) == 0 {
		return 0, false, nil
	}
	first, last := off/spoolBlock, (end+spoolBlock-1)/spoolBlock
	if last > int64(len(sums)) {
		return 0, true, fmt.Errorf("%w: bytes from %d have no recorded checksum", errDamaged, int64(len(sums))*spoolBlock)
	}
	var want uint32
	for b := first; b < last; b++ {
		want = crc32Combine(want, sums[b], min((b+1)*spoolBlock, size)-b*spoolBlock)
	}
	if sum = crc32.Checksum(data, blockTable); sum != want {
		return 0, true, fmt.Errorf("%w: bytes %d to %d have CRC-32 %08x, written as %08x", errDamaged, off, end, sum, want)
	}
	return sum, true, nil
}

// crc32Combine is the CRC-32 (IEEE) of A followed by B, from their CRCs
// and B's length: zlib's crc32_combine, which multiplies crc1 by x^(8 len2)
// modulo the polynomial, by squaring an operator matrix over GF(2).
func crc32Combine(crc1, crc2 uint32, len2 int64) uint32 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [32]uint32
	odd[0] = crc32.IEEE // the operator for one zero bit
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four
	for {
		gf2Square(&even, &odd) // apply len2's bits, from one zero byte up
		if len2&1 != 0 {
			crc1 = gf2Times(&even, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
		gf2Square(&odd, &even)
		if len2&1 != 0 {
			crc1 = gf2Times(&odd, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = gf2Times(mat, mat[n])
	}
}
