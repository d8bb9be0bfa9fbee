package apfront

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFront: the front forwards a request the SDK signed for the access
// point's Region, by ARN or alias, to the bucket behind it, signed again;
// it refuses a wrong secret and a bucket configuration request, and names
// neither access point nor bucket it does not play.
func TestFront(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.EscapedPath()+" "+r.Header.Get("X-Amz-Copy-Source"))
		mu.Unlock()
		assert.Contains(t, r.Header.Get("Authorization"), "Credential=ASIAFRONT/", "signed again with the session")
		io.Copy(io.Discard, r.Body)
	}))
	defer upstream.Close()
	session := aws.Credentials{AccessKeyID: "ASIAFRONT", SecretAccessKey: "front-secret", SessionToken: "front-token"}
	keys := func(id string) (aws.Credentials, bool) { return session, id == session.AccessKeyID }
	point := AccessPoint{Name: "recordings", Account: "444455556666", Region: "eu-west-1",
		Alias: "recordings-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias", Bucket: "behind"}
	front, err := Start(upstream.URL, http.DefaultTransport, keys, point)
	require.NoError(t, err)
	defer front.Close()
	client := func(secret string, pathStyle bool) *s3.Client {
		return s3.New(s3.Options{Region: "eu-west-1", BaseEndpoint: aws.String(front.URL), UsePathStyle: pathStyle,
			HTTPClient: front.HTTPClient(), Credentials: credentials.NewStaticCredentialsProvider(session.AccessKeyID, secret, session.SessionToken)})
	}
	ctx := context.Background()
	for _, way := range []struct {
		bucket    string
		pathStyle bool
	}{{point.ARN(), false}, {point.Alias, true}} {
		_, err = client(session.SecretAccessKey, way.pathStyle).PutObject(ctx, &s3.PutObjectInput{Bucket: &way.bucket,
			Key: aws.String("calls/a b.webm"), Body: strings.NewReader("recording")})
		require.NoError(t, err, way.bucket)
		source := way.bucket + "/calls/a%20b.webm"
		if way.bucket == point.ARN() {
			source = point.ARN() + "/object/calls/a%20b.webm"
		}
		_, err = client(session.SecretAccessKey, way.pathStyle).CopyObject(ctx, &s3.CopyObjectInput{Bucket: &way.bucket,
			Key: aws.String("calls/copy.webm"), CopySource: &source})
		require.NoError(t, err, way.bucket)

		_, err = client("wrong-secret", way.pathStyle).PutObject(ctx, &s3.PutObjectInput{Bucket: &way.bucket,
			Key: aws.String("calls/b.webm"), Body: strings.NewReader("recording")})
		assert.ErrorContains(t, err, "SignatureDoesNotMatch", way.bucket)
		_, err = client(session.SecretAccessKey, way.pathStyle).GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &way.bucket})
		assert.ErrorContains(t, err, "NotImplemented", way.bucket)
	}
	other := "arn:aws:s3:eu-west-1:444455556666:accesspoint/other"
	_, err = client(session.SecretAccessKey, false).HeadObject(ctx, &s3.HeadObjectInput{Bucket: &other, Key: aws.String("k")})
	assert.Error(t, err, "an access point the front does not play")

	assert.Equal(t, []string{"PUT /behind/calls/a%20b.webm ", "PUT /behind/calls/copy.webm behind/calls/a%20b.webm",
		"PUT /behind/calls/a%20b.webm ", "PUT /behind/calls/copy.webm behind/calls/a%20b.webm"}, seen)
	assert.Equal(t, []string{"GET ?versioning", "GET ?versioning"}, front.Refused())
	assert.Equal(t, map[string]int{"arn": 2, "alias": 2}, front.Served())
}
