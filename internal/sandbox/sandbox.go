// Package sandbox stands in for a customer's AWS account on this machine:
// a real MinIO server holding the recordings bucket, and the AWS-like STS
// endpoint with a base IAM user and a cross-account recorder role that
// requires an External ID. Tests, examples and the sandbox share it.
package sandbox

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox/minioserver"
	"github.com/auvious/recstore/internal/sandbox/stsserver"
)

// Accounts of the stand-in: the base user lives in one, the role and the
// bucket in another, as in a cross-account setup.
const (
	SourceAccount = "111122223333"
	TargetAccount = "444455556666"
	// DefaultRegion is the Region of an Env started without Options.Region.
	DefaultRegion = "us-east-1"
)

// Options configure Start. The zero value is a usable default.
type Options struct {
	Log io.Writer // install progress; nil discards it
	// Region makes MinIO enforce a Region, as AWS does; empty accepts any
	// signing Region and reports none.
	Region string
	// TLS makes MinIO serve HTTPS with a certificate from a throwaway CA
	// (MinIO.RootCAs; MinIO.CAFile for SSL_CERT_FILE in child processes).
	TLS bool
}

// An Env is a running stand-in. Close stops it.
type Env struct {
	Region string // the Region configs name; MinIO enforces it if Options.Region was set
	MinIO  *minioserver.Server
	STS    *stsserver.Server
	Admin  *s3.Client // root credentials: for setting up and inspecting, never for the code under test
	Bucket string
	User   stsserver.User
	Role   stsserver.Role // the recorder role, with the spec's least-privilege S3 policy

	transport *http.Transport
	moto      motoOnce
}

// Start starts MinIO and the STS endpoint and creates the bucket, the user
// and the role.
func Start(ctx context.Context, opts Options) (*Env, error) {
	srv, err := minioserver.Start(ctx, minioserver.Options{Log: opts.Log, Region: opts.Region, TLS: opts.TLS})
	if err != nil {
		return nil, err
	}
	e := &Env{Region: cmp.Or(opts.Region, DefaultRegion), MinIO: srv, Bucket: "recordings-" + randomHex(4),
		transport: awshttp.NewBuildableClient().GetTransport()}
	e.transport.TLSClientConfig.RootCAs = srv.RootCAs
	e.Admin = s3.New(s3.Options{
		Region:       e.Region,
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(srv.RootUser, srv.RootPassword, ""),
		HTTPClient:   &http.Client{Transport: e.transport},
	})
	if err := e.CreateBucket(ctx, e.Bucket); err != nil {
		srv.Stop()
		return nil, err
	}
	minter := stsserver.Minter{Endpoint: srv.URL, RootUser: srv.RootUser, RootPassword: srv.RootPassword,
		HTTPClient: &http.Client{Transport: e.transport}}
	if e.STS, err = stsserver.New(minter, e.Region); err != nil {
		srv.Stop()
		return nil, err
	}
	e.User = stsserver.User{
		ARN:             "arn:aws:iam::" + SourceAccount + ":user/recorder-base",
		AccessKeyID:     "AKIA" + strings.ToUpper(randomHex(8)),
		SecretAccessKey: randomHex(20),
		// The spec's base-user policy, for every role of the target account.
		AssumableRoles: []string{"arn:aws:iam::" + TargetAccount + ":role/*"},
	}
	e.STS.AddUser(e.User)
	e.Role = e.AddRole("recorder", RolePolicy(e.Bucket))
	return e, nil
}

// Close stops the STS endpoint, MinIO and moto_server (if Moto started
// it), and removes MinIO's data.
func (e *Env) Close() {
	e.moto.stop()
	e.STS.Close()
	e.MinIO.Stop()
	e.transport.CloseIdleConnections()
}

// CreateBucket creates a bucket in MinIO.
func (e *Env) CreateBucket(ctx context.Context, name string) error {
	if _, err := e.Admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		return fmt.Errorf("sandbox: creating bucket %s: %w", name, err)
	}
	return nil
}

// AddRole creates a role named name in the target account that trusts the
// base user with a fresh External ID and grants policy (a MinIO session
// policy; empty grants everything).
func (e *Env) AddRole(name, policy string) stsserver.Role {
	r := stsserver.Role{
		ARN:            "arn:aws:iam::" + TargetAccount + ":role/" + name,
		TrustedUserARN: e.User.ARN,
		ExternalID:     "recstore-" + randomHex(8),
		Policy:         policy,
	}
	e.STS.AddRole(r)
	return r
}

// Config is a working configuration for role r through the STS endpoint.
func (e *Env) Config(r stsserver.Role) recstore.Config {
	return recstore.Config{
		Bucket:          e.Bucket,
		Region:          e.Region,
		AccessKeyID:     e.User.AccessKeyID,
		SecretAccessKey: e.User.SecretAccessKey,
		RoleARN:         r.ARN,
		RoleSessionName: "auvious-recorder-test",
		ExternalID:      r.ExternalID,
		Endpoint:        e.MinIO.URL,
		STSEndpoint:     e.STS.URL(),
		STSRegion:       e.Region, // the test STS plays this Region's endpoint
	}
}

// MinIOSTSConfig is a working configuration that assumes a role through
// MinIO's own STS, with the root user as the base user. MinIO ignores the
// role ARN and External ID.
func (e *Env) MinIOSTSConfig() recstore.Config {
	cfg := e.Config(e.Role)
	cfg.AccessKeyID, cfg.SecretAccessKey = e.MinIO.RootUser, e.MinIO.RootPassword
	cfg.STSEndpoint = e.MinIO.URL
	return cfg
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
