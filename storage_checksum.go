package recstore

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The two checksum modes (Config.Checksum) each keep one contract on every
// request recstore sends, whatever the operation:
//
//   - crc32: every request with a body carries a CRC32 the store checks
//     (x-amz-checksum-crc32), and names its algorithm in
//     x-amz-sdk-checksum-algorithm wherever S3's API has that member, as
//     AWS documents for writes into an Object Lock bucket. Some stores (moto,
//     LocalStack) refuse such writes without it.
//   - content-md5: no request carries any x-amz-checksum-* or
//     x-amz-sdk-checksum-algorithm header, and every request with a body
//     carries Content-MD5, one of S3's common request headers. The SDK
//     computes a CRC32 on its own for the operations whose model requires a
//     checksum (PutObjectLegalHold, PutObjectRetention, DeleteObjects), even
//     when asked only "when required": contentMD5Only replaces it.

// checksumAlgorithm is the algorithm recstore asks the SDK for on every
// request that has the member, so that multipart uploads carry one per part
// and S3 checks them on completion; "" in content-md5 mode.
func (s *Store) checksumAlgorithm() types.ChecksumAlgorithm {
	if s.crc32 {
		return types.ChecksumAlgorithmCrc32
	}
	return ""
}

// checksumMode asks HeadObject for the object's checksum; content-md5 mode
// sends no x-amz-checksum-mode header.
func (s *Store) checksumMode() types.ChecksumMode {
	if s.crc32 {
		return types.ChecksumModeEnabled
	}
	return ""
}

// contentMD5 is the Content-MD5 of data in content-md5 mode, nil in crc32
// mode.
func (s *Store) contentMD5(data []byte) *string {
	if s.crc32 {
		return nil
	}
	return aws.String(md5Base64(data))
}

func md5Base64(data []byte) string {
	sum := md5.Sum(data)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// checksumSetupID is the SDK's middleware that picks a request's checksum
// algorithm (CRC32 for operations that require one); without it the SDK
// computes none.
const checksumSetupID = "AWSChecksum:SetupInputContext"

// contentMD5Only is the S3 client's API option of content-md5 mode: it
// removes the SDK's choice of a checksum algorithm and adds Content-MD5 to
// every request with a body that has none.
func contentMD5Only(stack *middleware.Stack) error {
	if _, found := stack.Initialize.Get(checksumSetupID); found {
		if _, err := stack.Initialize.Remove(checksumSetupID); err != nil {
			return err
		}
	}
	return stack.Build.Add(middleware.BuildMiddlewareFunc("recstore:ContentMD5", addContentMD5), middleware.After)
}

// addContentMD5 sets Content-MD5 on a request whose body can be read twice
// and that carries none yet (PutObject and UploadPart bring their own).
func addContentMD5(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (
	middleware.BuildOutput, middleware.Metadata, error,
) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok || req.Header.Get("Content-MD5") != "" || req.GetStream() == nil || !req.IsStreamSeekable() {
		return next.HandleBuild(ctx, in)
	}
	body, err := io.ReadAll(req.GetStream())
	if err == nil {
		err = req.RewindStream()
	}
	if err != nil {
		return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("recstore: computing Content-MD5: %w", err)
	}
	if len(body) > 0 {
		req.Header.Set("Content-MD5", md5Base64(body))
	}
	return next.HandleBuild(ctx, in)
}
