package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/auvious/recstore"
)

// A client is one S3 client under measurement. Every client uses the
// same part size and concurrency where it lets the caller choose.
type client interface {
	upload(ctx context.Context, key string, r io.Reader, size int64) error
	download(ctx context.Context, key string, w io.Writer) error
}

// target is everything a client needs to reach the bucket: the recstore
// Config for recstore, and the same kind of temporary session, from one
// AssumeRole through MinIO's STS, for the peers.
type target struct {
	Config      recstore.Config
	Endpoint    string
	Region      string
	Bucket      string
	AccessKey   string
	SecretKey   string
	Token       string
	PartSize    int64
	Concurrency int
}

func newClient(name string, t target) (client, error) {
	switch name {
	case "recstore":
		s, err := recstore.Open(context.Background(), t.Config,
			recstore.WithPartSize(t.PartSize), recstore.WithConcurrency(t.Concurrency))
		return recstoreClient{s}, err
	case "recstore-budget": // recstore with WithMemoryLimit(BENCH_MEMORY_LIMIT)
		limit, err := strconv.ParseInt(os.Getenv("BENCH_MEMORY_LIMIT"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("BENCH_MEMORY_LIMIT: %w", err)
		}
		s, err := recstore.Open(context.Background(), t.Config, recstore.WithPartSize(t.PartSize),
			recstore.WithConcurrency(t.Concurrency), recstore.WithMemoryLimit(limit))
		return recstoreClient{s}, err
	case "aws-sdk-tm":
		return sdkClient{t: t, s3: sdkS3(t)}, nil
	case "minio-go":
		u, err := url.Parse(t.Endpoint)
		if err != nil {
			return nil, err
		}
		mc, err := minio.New(u.Host, &minio.Options{Region: t.Region, Secure: u.Scheme == "https",
			Creds: miniocreds.NewStaticV4(t.AccessKey, t.SecretKey, t.Token)})
		return minioClient{t: t, mc: mc}, err
	}
	return nil, fmt.Errorf("unknown client %q", name)
}

// sdkS3 is a plain aws-sdk-go-v2 S3 client on the session's credentials.
func sdkS3(t target) *s3.Client { return s3.New(sdkOptions(t)) }

// sdkOptions are a raw S3 client's options. The checksum settings are
// spelled out: config.LoadDefaultConfig gives WhenSupported, as recstore
// uses, but a literal s3.Options leaves them unset, and such a client was
// seen to send no CRC32 with PutObject and ask for none with GetObject.
func sdkOptions(t target) s3.Options {
	return s3.Options{
		Region:                     t.Region,
		BaseEndpoint:               aws.String(t.Endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(t.AccessKey, t.SecretKey, t.Token),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
}

type recstoreClient struct{ s *recstore.Store }

func (c recstoreClient) upload(ctx context.Context, key string, r io.Reader, _ int64) error {
	_, err := c.s.Upload(ctx, key, r)
	return err
}

func (c recstoreClient) download(ctx context.Context, key string, w io.Writer) error {
	body, _, err := c.s.Download(ctx, key)
	if err != nil {
		return err
	}
	defer body.Close()
	_, err = io.Copy(w, body)
	return err
}

// sdkClient is the SDK's own transfer manager.
type sdkClient struct {
	t  target
	s3 *s3.Client
}

func (c sdkClient) manager() *transfermanager.Client {
	return transfermanager.New(c.s3, func(o *transfermanager.Options) {
		o.PartSizeBytes, o.Concurrency = c.t.PartSize, c.t.Concurrency
	})
}

func (c sdkClient) upload(ctx context.Context, key string, r io.Reader, _ int64) error {
	_, err := c.manager().UploadObject(ctx, &transfermanager.UploadObjectInput{Bucket: &c.t.Bucket, Key: &key, Body: r})
	return err
}

func (c sdkClient) download(ctx context.Context, key string, w io.Writer) error {
	out, err := c.manager().GetObject(ctx, &transfermanager.GetObjectInput{Bucket: &c.t.Bucket, Key: &key})
	if err != nil {
		return err
	}
	_, err = io.Copy(w, out.Body)
	return err
}

type minioClient struct {
	t  target
	mc *minio.Client
}

func (c minioClient) upload(ctx context.Context, key string, r io.Reader, size int64) error {
	_, err := c.mc.PutObject(ctx, c.t.Bucket, key, r, size, minio.PutObjectOptions{
		PartSize: uint64(c.t.PartSize), NumThreads: uint(c.t.Concurrency), ContentType: "application/octet-stream"})
	return err
}

func (c minioClient) download(ctx context.Context, key string, w io.Writer) error {
	obj, err := c.mc.GetObject(ctx, c.t.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return err
	}
	defer obj.Close()
	_, err = io.Copy(w, obj)
	return err
}

// source opens what an upload reads: a file, or standard input ("-").
func source(path string) (io.Reader, func(), error) {
	if path == "-" {
		// A plain reader: a live stream cannot seek, whatever the file is.
		return struct{ io.Reader }{os.Stdin}, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
