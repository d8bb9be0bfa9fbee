package recstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/auvious/recstore"
)

// Validate reports every problem at once, each naming the Go field and the
// product's JSON key.
func ExampleConfig_Validate() {
	cfg := recstore.Config{
		Bucket:          "Call_Recordings",
		Region:          "eu-west-1",
		AccessKeyID:     "AKIAIOSFODNN7EXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		RoleARN:         "arn:aws:iam::123456789012:role/recorder",
		RoleSessionName: "auvious recorder",
	}
	err := cfg.Validate()
	fmt.Println(errors.Is(err, recstore.ErrInvalidConfig))
	fmt.Println(err)
	// Output:
	// true
	// recstore: invalid config: Bucket (storageProviderBucketName): "Call_Recordings" has a character that is not allowed (upper case, space, _?); S3 bucket names are 3 to 63 characters of a-z 0-9 . -, beginning and ending with a letter or digit
	// recstore: invalid config: RoleSessionName (storageProviderRoleSessionName): has ' ' at byte 7; allowed: A-Z a-z 0-9 _+=,.@-
}

// Diagnose gives the likely cause of any recstore error and what to change.
func ExampleDiagnose() {
	_, err := recstore.ParseConfig([]byte(`{"storageProviderBuckeName": "recordings"}`))
	cause, fix, ok := recstore.Diagnose(err)
	fmt.Println(ok)
	fmt.Println(err)
	fmt.Println("cause:", cause)
	fmt.Println("fix:", fix)
	// Output:
	// true
	// recstore: invalid config: "storageProviderBuckeName": unknown key; did you mean "storageProviderBucketName"?
	// cause: the configuration is invalid: unknown key; did you mean "storageProviderBucketName"?
	// fix: correct "storageProviderBuckeName" and try again
}

// A recorder running with its own AWS identity (IRSA, Pod Identity, an ECS
// task role or an EC2 instance role) needs no long-term keys: the
// customer's role trusts the recorder's role, and the tenants' configs
// leave the base keys empty.
func ExampleWithBaseCredentials() {
	ctx := context.Background()
	run := func(tenant string, cfg recstore.Config) error {
		base, err := recstore.DefaultBaseCredentials(ctx) // IRSA, Pod Identity, ECS, EC2, or AWS_* keys
		if err != nil {
			return err // names where the SDK's default chain looked
		}
		pool, err := recstore.NewPool(recstore.WithStoreOptions(recstore.WithBaseCredentials(base),
			recstore.WithSourceIdentity("recorder-eu-1"))) // optional: shows in the customer's CloudTrail
		if err != nil {
			return err
		}
		defer pool.Close()
		store, err := pool.Store(ctx, tenant, cfg) // cfg: a tenant's JSON, without keys
		if err != nil {
			return err
		}
		_, err = store.Upload(ctx, "calls/c-42.webm", strings.NewReader("recording"))
		return err
	}
	_ = run
}
