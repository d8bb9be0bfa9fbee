package minioserver

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/auvious/recstore/internal/sandbox/proc"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Options configure Start. The zero value is a usable default.
type Options struct {
	// Region makes MinIO enforce a region (MINIO_REGION); empty accepts any.
	Region string
	// Log receives install progress; nil discards it.
	Log io.Writer
	// RootUser is the root access key; empty means MinIO's default,
	// minioadmin. MinIO wants 3 characters or more.
	RootUser string
	// RootPassword is the root secret key; empty means a random one.
	// MinIO wants 8 characters or more.
	RootPassword string
	// TLS makes MinIO serve HTTPS, with a certificate for 127.0.0.1 from a
	// throwaway CA (Server.RootCAs, Server.CAFile).
	TLS bool
}

// A Server is a running MinIO process on loopback, with its own data
// directory and root credentials.
type Server struct {
	URL          string // http://127.0.0.1:<port>, or https:// with Options.TLS
	RootUser     string // root access key
	RootPassword string // root secret key
	KMSKey       string // the name of MinIO's one KMS key, for SSE-KMS (Config.KMSKeyID)
	// RootCAs trusts the certificate of a TLS server (nil without
	// Options.TLS); CAFile is the same CA as a PEM file, for SSL_CERT_FILE.
	RootCAs *x509.CertPool
	CAFile  string

	proc     *proc.Process
	dataDir  string
	certsDir string // with Options.TLS: the CA file, and MinIO's --certs-dir under it
	stopped  sync.Once
}

// Start installs MinIO if needed and starts it on a free loopback port with
// a fresh data directory. The caller must call Stop.
func Start(ctx context.Context, opts Options) (*Server, error) {
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	bin, err := Binary(ctx, log)
	if err != nil {
		return nil, err
	}
	var errs []error
	for range 3 { // a free port can be taken between probe and bind
		srv, err := start(ctx, bin, opts)
		if err == nil {
			return srv, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func start(ctx context.Context, bin string, opts Options) (*Server, error) {
	ports, err := proc.FreePorts(2)
	if err != nil {
		return nil, fmt.Errorf("minioserver: %w", err)
	}
	dataDir, err := os.MkdirTemp("", "recstore-minio-")
	if err != nil {
		return nil, fmt.Errorf("minioserver: %w", err)
	}
	s := &Server{
		URL:          fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		RootUser:     cmp.Or(opts.RootUser, "minioadmin"),
		RootPassword: cmp.Or(opts.RootPassword, randomHex(20)),
		KMSKey:       "recstore-key",
		dataDir:      dataDir,
	}
	args := []string{"server", "--quiet", "--address", fmt.Sprintf("127.0.0.1:%d", ports[0]),
		"--console-address", fmt.Sprintf("127.0.0.1:%d", ports[1])}
	if opts.TLS {
		if err := s.makeCerts(); err != nil {
			os.RemoveAll(dataDir)
			return nil, err
		}
		s.URL = "https" + s.URL[len("http"):]
		args = append(args, "--certs-dir", filepath.Join(s.certsDir, "certs"))
	}
	cmd := exec.Command(bin, append(args, dataDir)...)
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+s.RootUser, "MINIO_ROOT_PASSWORD="+s.RootPassword,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_REGION="+opts.Region,
		"MINIO_KMS_SECRET_KEY="+s.KMSKey+":"+randomBase64(32)) // SSE-S3 and SSE-KMS need a key
	if s.proc, err = proc.Start(cmd); err != nil {
		os.RemoveAll(dataDir)
		if s.certsDir != "" {
			os.RemoveAll(s.certsDir)
		}
		return nil, fmt.Errorf("minioserver: starting %s: %w", bin, err)
	}
	if err := s.waitReady(ctx, opts.Region, 60*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady waits until MinIO serves requests: live is not enough, for a
// moment after it MinIO answers "Server not initialized" (STS with 400, S3
// with 503). A root AssumeRole that succeeds says it is ready.
func (s *Server) waitReady(ctx context.Context, region string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := sts.New(sts.Options{Region: cmp.Or(region, "us-east-1"), BaseEndpoint: aws.String(s.URL), HTTPClient: s.HTTPClient(),
		Retryer: aws.NopRetryer{}, Credentials: credentials.NewStaticCredentialsProvider(s.RootUser, s.RootPassword, "")})
	for {
		_, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/ready"),
			RoleSessionName: aws.String("ready"), DurationSeconds: aws.Int32(900)})
		if err == nil {
			return nil
		}
		select {
		case <-s.proc.Exited():
			return fmt.Errorf("minioserver: MinIO exited during start-up:\n%s", s.proc.Output)
		case <-ctx.Done():
			return fmt.Errorf("minioserver: MinIO not ready after %v: %w (last: %v)\n%s", limit, ctx.Err(), err, s.proc.Output)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// HTTPClient is a client that trusts the server's certificate, if it has one.
func (s *Server) HTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: s.RootCAs}
	return &http.Client{Transport: t}
}

// PID is the MinIO process's ID.
func (s *Server) PID() int { return s.proc.PID() }

// Stop stops MinIO by its PID (SIGTERM, then SIGKILL after 10 s), waits for
// it to exit and removes its data. It is safe to call more than once.
func (s *Server) Stop() {
	s.stopped.Do(func() {
		s.proc.Stop(10 * time.Second)
		os.RemoveAll(s.dataDir)
		if s.certsDir != "" {
			os.RemoveAll(s.certsDir)
		}
	})
}

func randomBase64(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
