package motoserver_test

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore/internal/sandbox/motoserver"
)

// TestStartStop: moto_server starts, serves S3, and is gone after Stop.
func TestStartStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	ctx := context.Background()
	srv, err := motoserver.Start(ctx)
	if errors.Is(err, motoserver.ErrNotInstalled) && !motoserver.MissingIsFailure() {
		t.Skip(err.Error())
	}
	require.NoError(t, err)
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	_, err = client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("started")})
	require.NoError(t, err)
	pid := srv.PID()
	srv.Stop()
	srv.Stop() // twice is fine
	assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "moto_server is gone")
}
