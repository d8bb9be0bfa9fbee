package recstore

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
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
			})
		})
	if err != nil {
		return "", time.Time{}, classify("s3:GetObject (presign)", s.session.target.WithKey(key), err)
	}
	return req.URL, now.Add(ttl), nil
}

// fetchPresigned GETs a presigned URL of key with plain HTTP, as a player
// would, through the Store's HTTP client, and returns up to 1 MiB of the
// body. Errors never include the URL, whose query carries the session
// token.
func (s *Store) fetchPresigned(ctx context.Context, key, link string) ([]byte, error) {
	t := s.session.target.WithKey(key)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, fmt.Errorf("recstore: presigned URL: %w", errors.Unwrap(err))
	}
	resp, err := s.http.Do(req)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return nil, classify(opPresignedGet, t, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, classify(opPresignedGet, t, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, classify(opPresignedGet, t, newReplyError(resp, body))
	}
	return body, nil
}

const opPresignedGet = "s3:GetObject (presigned URL)"

// replyError is an S3 error reply read without the SDK, for presigned URLs.
type replyError struct {
	smithy.GenericAPIError
	status    int
	requestID string
}

func newReplyError(resp *http.Response, body []byte) *replyError {
	var parsed struct{ Code, Message string }
	xml.Unmarshal(body, &parsed)
	if parsed.Code == "" {
		parsed.Code = http.StatusText(resp.StatusCode)
	}
	return &replyError{GenericAPIError: smithy.GenericAPIError{Code: parsed.Code, Message: parsed.Message},
		status: resp.StatusCode, requestID: resp.Header.Get("X-Amz-Request-Id")}
}

func (e *replyError) HTTPStatusCode() int      { return e.status }
func (e *replyError) ServiceRequestID() string { return e.requestID }
