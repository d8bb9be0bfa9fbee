// Package apfront plays S3 access points in front of MinIO, which has
// none, the way stsserver plays AWS's STS: a Store configured with an
// access point's ARN sends its requests to the host the SDK makes for it,
// <name>-<account>.<endpoint host>, and one configured with its alias
// sends them path-style as to a bucket of that name. The front checks
// each request's SigV4 signature as S3 would (the session's keys come
// from the test STS), with the Region of the access point, refuses the
// bucket configuration requests S3 does not answer through an access
// point, and forwards the rest to the bucket behind the access point,
// signed again for MinIO. It does not evaluate access point or bucket
// policies: MinIO applies the role's own.
package apfront

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Domain is the host name the front serves under: the endpoint is
// http://Domain:<port>, and an access point's host is
// <name>-<account>.Domain. HTTPClient resolves them to the front.
const Domain = "ap.recstore.test"

// An AccessPoint is one access point the front plays.
type AccessPoint struct {
	Name, Account, Region string
	Alias                 string // <name>-<metadata>-s3alias
	Bucket                string // the MinIO bucket behind it
}

// ARN is the access point's ARN.
func (a AccessPoint) ARN() string {
	return "arn:aws:s3:" + a.Region + ":" + a.Account + ":accesspoint/" + a.Name
}

// Credentials finds the keys of a session by its access key ID.
type Credentials func(accessKeyID string) (aws.Credentials, bool)

// A Server is a running front. Close stops it.
type Server struct {
	URL string // the endpoint: http://Domain:<port>

	srv      *httptest.Server
	upstream *url.URL
	client   *http.Client
	keys     Credentials
	points   []AccessPoint
	signer   *v4.Signer

	mu      sync.Mutex
	refused []string       // the bucket configuration requests refused
	served  map[string]int // requests forwarded, by how they named the access point: "arn" or "alias"
}

// Start starts a front for points before the MinIO at upstream, reached
// with transport.
func Start(upstream string, transport http.RoundTripper, keys Credentials, points ...AccessPoint) (*Server, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, fmt.Errorf("apfront: upstream %q: %w", upstream, err)
	}
	s := &Server{upstream: u, client: &http.Client{Transport: transport}, keys: keys, points: points, served: map[string]int{},
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	_, port, _ := net.SplitHostPort(s.srv.Listener.Addr().String())
	s.URL = "http://" + Domain + ":" + port
	return s, nil
}

// Close stops the front.
func (s *Server) Close() { s.srv.Close() }

// Refused are the bucket configuration requests the front refused, as
// "METHOD ?subresource", oldest first.
func (s *Server) Refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

// Served is how many requests the front forwarded, by how they named the
// access point: "arn" (its host) or "alias" (its path).
func (s *Server) Served() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.served)
}

// HTTPClient is a client that reaches the front for Domain and every name
// under it, and any other host as usual: the recorder's, in tests.
func (s *Server) HTTPClient() *http.Client {
	addr := s.srv.Listener.Addr().String()
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = func(ctx context.Context, network, target string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(target); err == nil && (host == Domain || strings.HasSuffix(host, "."+Domain)) {
			target = addr
		}
		return dialer.DialContext(ctx, network, target)
	}
	return &http.Client{Transport: transport}
}

// bucketConfiguration are the subresources of a bucket's own
// configuration, which S3 answers only on the bucket itself: the access
// point compatibility table of the S3 User Guide lists none of them.
var bucketConfiguration = []string{"versioning", "object-lock", "encryption", "lifecycle", "policy", "ownershipControls",
	"publicAccessBlock", "replication", "website", "logging", "tagging", "accelerate", "requestPayment"}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	point, rest, form, ok := s.route(r)
	if !ok {
		writeError(w, http.StatusNotFound, "NoSuchAccessPoint", "The specified access point does not exist.")
		return
	}
	if rest == "/" {
		for _, sub := range bucketConfiguration {
			if r.URL.Query().Has(sub) {
				s.mu.Lock()
				s.refused = append(s.refused, r.Method+" ?"+sub)
				s.mu.Unlock()
				// AWS's reply here is not on record (S3 User Guide, "Access point compatibility", lists
				// the operations that work); recstore must not send these, and the tests check it does not.
				writeError(w, http.StatusNotImplemented, "NotImplemented", "apfront: "+sub+" is a bucket's configuration, "+
					"which S3 does not answer through an access point")
				return
			}
		}
	}
	creds, payloadHash, presigned, problem := s.authenticate(r, point)
	if problem != "" {
		writeError(w, http.StatusForbidden, "SignatureDoesNotMatch", problem)
		return
	}
	s.mu.Lock()
	s.served[form]++
	s.mu.Unlock()
	s.forward(w, r, point, rest, creds, payloadHash, presigned)
}

// route finds the access point a request is for, by its host (an ARN's)
// or its first path segment (an alias), and the rest of its path.
func (s *Server) route(r *http.Request) (point AccessPoint, rest, form string, ok bool) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	path := r.URL.EscapedPath()
	for _, p := range s.points {
		if host == p.Name+"-"+p.Account+"."+Domain {
			return p, path, "arn", true
		}
		if rest, ok := strings.CutPrefix(path, "/"+p.Alias); ok && host == Domain && (rest == "" || rest[0] == '/') {
			if rest == "" {
				rest = "/"
			}
			return p, rest, "alias", true
		}
	}
	return AccessPoint{}, "", "", false
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>apfront</RequestId></Error>`,
		code, message)
}

// forward sends the request to the bucket behind point, signed again with
// the same session, and copies MinIO's reply back.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, point AccessPoint, rest string, creds aws.Credentials,
	payloadHash string, presigned bool) {
	target := *s.upstream
	if rest == "/" {
		rest = ""
	}
	target.RawPath = "/" + point.Bucket + rest
	target.Path, _ = url.PathUnescape(target.RawPath)
	query := r.URL.Query()
	for _, k := range append(signatureParams, "X-Amz-Expires") {
		query.Del(k)
	}
	target.RawQuery = query.Encode()
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target.String(), r.Body)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	out.ContentLength = r.ContentLength
	for k, v := range r.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "X-Amz-Date", "X-Amz-Security-Token", "Connection", "Accept-Encoding":
		default:
			out.Header[k] = v
		}
	}
	if source := r.Header.Get("X-Amz-Copy-Source"); source != "" {
		out.Header.Set("X-Amz-Copy-Source", s.copySource(source))
	}
	if presigned {
		payloadHash = "UNSIGNED-PAYLOAD"
	}
	out.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if err := s.signer.SignHTTP(r.Context(), creds, out, payloadHash, "s3", point.Region, time.Now()); err != nil {
		writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	resp, err := s.client.Do(out)
	if err != nil {
		writeError(w, http.StatusBadGateway, "InternalError", err.Error())
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// copySource turns a copy source through an access point (its ARN's
// /object/ form, or its alias) into the bucket's.
func (s *Server) copySource(source string) string {
	unescaped, err := url.PathUnescape(source)
	if err != nil {
		return source
	}
	unescaped = strings.TrimPrefix(unescaped, "/")
	for _, p := range s.points {
		if key, ok := strings.CutPrefix(unescaped, p.ARN()+"/object/"); ok {
			return p.Bucket + "/" + escapeKey(key)
		}
		if key, ok := strings.CutPrefix(unescaped, p.Alias+"/"); ok {
			return p.Bucket + "/" + escapeKey(key)
		}
	}
	return source
}

// escapeKey escapes a key (with a ?versionId= query, if any) for
// x-amz-copy-source, keeping its slashes.
func escapeKey(key string) string {
	key, query, _ := strings.Cut(key, "?versionId=")
	escaped := strings.ReplaceAll(url.PathEscape(key), "%2F", "/")
	if query != "" {
		escaped += "?versionId=" + query
	}
	return escaped
}
