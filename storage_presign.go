package recstore

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Presigned URL lifetimes.
const (
	// DefaultPresignTTL is the lifetime of a presigned URL when PresignGet is
	// given a zero TTL.
	DefaultPresignTTL = 15 * time.Minute
	// MaxPresignTTL is SigV4's limit on a presigned URL's lifetime.
	MaxPresignTTL = 7 * 24 * time.Hour
)

// PresignGet returns a URL that downloads the object with a plain HTTP GET
// until expires, for playback. A zero ttl means DefaultPresignTTL.
//
// The URL is signed with the temporary session, and AWS refuses it once that
// session ends, so the URL never lives longer than the session has left:
// expires is when it really stops working, which may be sooner than ttl.
// PresignGet sends no request to S3 and does not check that the object
// exists; it may call STS to start a session.
//
// The URL's query carries the session token, as AWS requires: whoever has
// the URL can read the object until expires, so treat it as a credential
// for that object and keep it out of logs.
func (s *Store) PresignGet(ctx context.Context, key string, ttl time.Duration) (url string, expires time.Time, err error) {
	ctx, c := s.begin(ctx, opPresignGet, key)
	defer func() { c.end(err) }()
	full, err := s.objectKey("key", key)
	if err != nil {
		return "", time.Time{}, err
	}
	if ttl < 0 || ttl > MaxPresignTTL {
		return "", time.Time{}, fmt.Errorf("%w: PresignGet ttl %v: want 0 (for %v) up to %v",
			ErrInvalidArgument, ttl, DefaultPresignTTL, MaxPresignTTL)
	}
	if ttl == 0 {
		ttl = DefaultPresignTTL
	}
	creds, err := s.session.credentials(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	now := time.Now()
	// creds.Expires is already the cache's early renewal time, so the URL
	// ends before the session does.
	if left := creds.Expires.Sub(now); creds.CanExpire && left < ttl {
		ttl = left
	}
	ttl = ttl.Truncate(time.Second)
	if ttl < time.Second {
		return "", time.Time{}, fmt.Errorf("%w: PresignGet: the session ends in under a second", ErrExpiredToken)
	}
	req, err := s.presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &s.cfg.Bucket, Key: &full},
		s3.WithPresignExpires(ttl), func(o *s3.PresignOptions) {
			// Sign with exactly the credentials whose expiry bounded ttl.
			o.ClientOptions = append(o.ClientOptions, func(o *s3.Options) {
				o.Credentials = credentials.StaticCredentialsProvider{Value: creds}
				// The URL's holder (a player) checks no checksum: keep
				// x-amz-checksum-mode out of the URL, in both modes.
				o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
			})
		})
	if err != nil {
		return "", time.Time{}, classify("s3:GetObject (presign)", s.session.target.WithKey(key), err)
	}
	return req.URL, now.Add(ttl), nil
}
