package recstore_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/auvious/recstore"
)

// Open a customer's Store, stream a recording of unknown length into the
// bucket and hand out a playback URL. This is the README's Usage program.
func ExampleOpen() {
	ctx := context.Background()
	var recording io.Reader = os.Stdin              // a live recording: any io.Reader
	cfg, err := recstore.LoadConfig("storage.json") // the product's JSON keys, see below
	if err != nil {
		log.Fatal(err)
	}
	store, err := recstore.Open(ctx, cfg) // validates; no request yet
	if err != nil {
		log.Fatal(err) // every invalid field, each naming its JSON key
	}
	defer store.Close()

	// A recording of unknown length: streamed in parts, never held whole in memory.
	info, err := store.Upload(ctx, "calls/2026/11/28/c-42.webm", recording, recstore.WithContentType("video/webm"))
	if err != nil {
		cause, fix, _ := recstore.Diagnose(err)
		log.Fatalf("%v\ncause: %s\nfix: %s", err, cause, fix)
	}
	url, expires, err := store.PresignGet(ctx, info.Key, 15*time.Minute)
	fmt.Println(info.Size, info.Checksum, url, expires)
}

// A presigned URL plays a recording back with a plain GET, until expires,
// which is never after the session that signed it ends.
func ExampleStore_PresignGet() {
	play := func(ctx context.Context, store *recstore.Store, w http.ResponseWriter, r *http.Request, key string) {
		url, expires, err := store.PresignGet(ctx, key, 5*time.Minute)
		if errors.Is(err, recstore.ErrInvalidKey) {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err != nil {
			http.Error(w, "storage unavailable", http.StatusBadGateway) // Diagnose(err) is for the operator's log
			return
		}
		w.Header().Set("Expires", expires.UTC().Format(http.TimeFormat))
		http.Redirect(w, r, url, http.StatusFound)
	}
	_ = play
}

// A recorder service keeps one Pool for all its customers; each call asks
// it for the tenant's Store. This is the README's Serving many tenants
// program.
func ExampleNewPool() {
	ctx := context.Background()
	logger := slog.Default()
	serve := func(tenantID string, tenantCfg recstore.Config, key string, recording io.Reader) error {
		storeOpts := []recstore.Option{recstore.WithLogger(logger)} // every Store's: also Verify's (WithStoreOptions)
		pool, err := recstore.NewPool(
			recstore.WithMemoryLimit(256<<20),        // part buffers of all uploads, all tenants
			recstore.WithMaxStores(2000),             // least recently used idle Stores closed beyond
			recstore.WithIdleTimeout(30*time.Minute), // and idle ones after
			recstore.WithStoreOptions(storeOpts...),  // for every Store: base identity, logger, providers...
		)
		if err != nil {
			return err // ErrInvalidConfig names each invalid option
		}
		defer pool.Close() // waits for the calls in progress

		store, err := pool.Store(ctx, tenantID, tenantCfg) // opened on first use
		if err != nil {
			return err // ErrInvalidConfig names the setting; nothing was opened
		}
		_, err = store.Upload(ctx, key, recording)
		return err
	}
	_ = serve
}

// Verify is the product's Test button: a Report with a row per check, each
// with its cause and fix on failure, for people (String) and for a UI
// (JSON). Here the configuration is incomplete, so no request is sent and
// every other check is skipped.
func ExampleVerify() {
	cfg := recstore.Config{Region: "eu-west-1", AccessKeyID: "AKIAIOSFODNN7EXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", RoleSessionName: "auvious-recorder-acme",
		RoleARN: "arn:aws:iam::444455556666:role/recorder"}
	report := recstore.Verify(context.Background(), cfg)
	fmt.Println("ok:", report.OK())
	for _, c := range report.Checks[:3] {
		fmt.Println(c.Name, c.Status)
	}
	problems := recstore.ConfigErrors(report.Err())
	fmt.Println(problems[0].Key+":", problems[0].Problem)
	ui, _ := json.Marshal(report)
	fmt.Println(strings.Contains(string(ui), `"key":"storageProviderBucketName"`))
	// Output:
	// ok: false
	// config fail
	// base-identity skip
	// external-id skip
	// storageProviderBucketName: required: the name of the S3 bucket that stores recordings, or an access point's ARN or alias
	// true
}

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
	vendorKey := []byte("a key of the vendor's, from its secret store")
	run := func(tenant string, cfg recstore.Config) error {
		base, err := recstore.DefaultBaseCredentials(ctx) // IRSA, Pod Identity, ECS, EC2, or AWS_* keys
		if err != nil {
			return err // names where the SDK's default chain looked
		}
		externalID := func(tenant string) (string, error) { // the vendor's, one per customer: never the customer's choice
			mac := hmac.New(sha256.New, vendorKey)
			mac.Write([]byte(tenant))
			return "auvious-" + hex.EncodeToString(mac.Sum(nil))[:32], nil
		}
		pool, err := recstore.NewPool(recstore.WithTenantExternalID(externalID),
			recstore.WithStoreOptions(recstore.WithBaseCredentials(base),
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
