package recstore

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseConfig: any input either parses or fails with an error that
// matches ErrInvalidConfig and says what was wrong; nothing panics.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		`{"storageProviderBucketName":"recordings","storageProviderRegion":"eu-west-1","storageProviderSessionDurationSeconds":"900"}`,
		`{"storageProviderBuckeName":"x"}`, `{"storageProviderSessionDurationSeconds":1e400}`, `[]`, `{} {}`, ``,
		`{"storageProviderKeyPrefix":{"a":[1,2,{"b":null}]}}`, `{"storageProviderDisableAuthRetry":"yes"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error does not match ErrInvalidConfig: %v", err)
			}
			if !strings.Contains(err.Error(), "storageProvider") && !strings.Contains(err.Error(), "JSON config") {
				t.Fatalf("error names neither a key nor the document: %v", err)
			}
			return
		}
		checkValidateErrors(t, cfg)
	})
}

// FuzzValidate: Validate never panics, reports each problem as a
// *ConfigError naming field and key, and never quotes the secret.
func FuzzValidate(f *testing.F) {
	f.Add("recordings", "eu-west-1", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"arn:aws:iam::123456789012:role/recorder", "auvious-recorder", "acme-7f3c", int64(3600), "https://s3.example.com", "", "acme/")
	f.Add("", "", "", "", "", "", "", int64(-1), "http://[::1", "ftp://x", "\xff")
	f.Add("Bad_Bucket", "EU", "ASIA0000000000000000", "secret with space", "arn:aws-cn:iam::1:role/x", "a", "a",
		int64(43201), "http://user:pass@host", "https://h?x=1", strings.Repeat("p", 600))
	f.Fuzz(func(t *testing.T, bucket, region, akid, secret, role, session, extID string, seconds int64, endpoint, stsEndpoint, prefix string) {
		checkValidateErrors(t, Config{Bucket: bucket, Region: region, AccessKeyID: akid, SecretAccessKey: secret,
			RoleARN: role, RoleSessionName: session, ExternalID: extID, SessionDuration: time.Duration(seconds) * time.Second,
			Endpoint: endpoint, STSEndpoint: stsEndpoint, KeyPrefix: prefix})
	})
}

func checkValidateErrors(t *testing.T, cfg Config) {
	err := cfg.Validate()
	if err == nil {
		return
	}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *ConfigError
		if !errors.As(e, &ce) || ce.Field == "" || !strings.HasPrefix(ce.Key, "storageProvider") || ce.Problem == "" {
			t.Fatalf("not a complete *ConfigError: %#v", e)
		}
	}
	// The secret must not be quoted, unless it is text the message has anyway.
	secret := cfg.SecretAccessKey
	if len(secret) >= 6 && strings.Contains(err.Error(), secret) {
		other := cfg
		other.SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
		if otherErr := other.Validate(); otherErr == nil || !strings.Contains(otherErr.Error(), secret) {
			t.Fatalf("the secret appears in the error: %v", err)
		}
	}
}

// FuzzObjectKey: a key is accepted only if it is non-empty, valid UTF-8,
// free of control characters and dot segments, and fits with the prefix;
// a refusal matches ErrInvalidKey.
func FuzzObjectKey(f *testing.F) {
	for _, seed := range []string{"calls/2026/11/28/c-42.webm", "../x", "a/./b", "\x00", "\xc3\x28", strings.Repeat("k", 1024), "..", "é/ü.webm"} {
		f.Add("tenant/", seed)
	}
	f.Fuzz(func(t *testing.T, prefix, key string) {
		s := &Store{cfg: Config{KeyPrefix: prefix}}
		full, err := s.objectKey("key", key)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), "key") {
				t.Fatalf("bad refusal: %v", err)
			}
			return
		}
		switch {
		case full != prefix+key, key == "", !utf8.ValidString(key), len(full) > maxKeyBytes:
			t.Fatalf("accepted %q (full %q)", key, full)
		case strings.ContainsAny(key, "\x00\x1b\x7f"):
			t.Fatalf("accepted a control character: %q", key)
		}
		for _, segment := range strings.Split(key, "/") {
			if segment == "." || segment == ".." {
				t.Fatalf("accepted a dot segment: %q", key)
			}
		}
	})
}

// FuzzClassify: any AWS reply is classified without panicking, keeps the
// SDK's error in the chain, and a diagnosis always has a cause.
func FuzzClassify(f *testing.F) {
	for _, seed := range []struct {
		op, code, message string
		status            int
	}{
		{"sts:AssumeRole", "AccessDenied", "User: u is not authorized", 403},
		{"sts:AssumeRole", "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration", 400},
		{"s3:PutObject", "AccessDenied", "Access Denied", 403},
		{"s3:HeadBucket", "", "", 301},
		{"s3:GetObject", "SignatureDoesNotMatch", "Signature expired: 20160609T184512Z", 403},
	} {
		f.Add(seed.op, seed.code, seed.message, seed.status)
	}
	f.Fuzz(func(t *testing.T, op, code, message string, status int) {
		cause := apiError(status, code, message)
		err := classify(op, testTarget, cause)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, cause) {
			t.Fatalf("classify lost the error: %v", err)
		}
		if got, fix, ok := Diagnose(err); ok && got == "" {
			t.Fatalf("a diagnosis without a cause (fix %q)", fix)
		}
		_ = err.Error()
	})
}
