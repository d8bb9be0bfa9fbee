package diagnose

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A listedError is one error of a published list: AWS's API references
// (testdata/errorlists, with their sources) or an SDK client's model.
type listedError struct {
	source, op, code, message string
	status                    int
}

// TestEveryListedErrorIsDiagnosed feeds every error that AWS's API
// references list for S3, STS and KMS, and every modeled error of the
// SDK's s3, sts and kms clients, through the classifier: each gets a
// class consistent with its status, a cause, a fix (but a missing key,
// which needs none), and no fix that contradicts who signed the request.
// KMS errors reach recstore inside S3's replies, as "KMS.<error>".
func TestEveryListedErrorIsDiagnosed(t *testing.T) {
	all := listedErrors(t)
	counts := map[string]int{}
	for _, le := range all {
		counts[le.source]++
		t.Run(le.source+"/"+le.code+"/"+le.op, func(t *testing.T) {
			d := Classify(le.op, testTarget.WithKey("calls/c-42.webm"), apiError(le.status, le.code, le.message))
			require.NotNil(t, d.Kind, "no class for %d %s", le.status, le.code)
			assert.NotEmpty(t, d.Cause)
			if d.Kind != ErrKeyNotFound {
				assert.NotEmpty(t, d.Fix)
			}
			if allowed := allowedKinds(le.op, le.status); allowed != nil {
				assert.Contains(t, allowed, kindName(d.Kind), "HTTP %d %s: %s", le.status, le.code, d.Cause)
			}
			if strings.HasPrefix(le.op, "s3:") { // signed by the session: the base keys are not in question
				for _, word := range []string{"storageProviderSecretAccessKey", "storageProviderAccessKeyId", "rotate", "base IAM user"} {
					assert.NotContains(t, d.Fix, word, "a session-signed request's fix")
				}
			}
			if d.Kind == ErrUnavailable {
				assert.Regexp(t, `try again|later|operator`, d.Fix, "an unavailable service's fix says who acts or when")
			} else {
				assert.NotContains(t, d.Fix, "nobody needs to change", "only a transient failure needs nobody")
			}
		})
	}
	for source, n := range counts {
		t.Logf("%s: %d errors checked", source, n)
	}
}

// allowedKinds are the classes consistent with a reply's status to op.
func allowedKinds(op string, status int) []string {
	sts := strings.HasPrefix(op, "sts:")
	switch {
	case status < 300: // S3's asynchronous errors, inside a 200: the code alone tells
		return nil
	case status == 501:
		return []string{"ErrUnsupported"}
	case status >= 500 || status == 429:
		return []string{"ErrUnavailable"}
	case status == 401 || status == 403:
		if sts {
			return []string{"ErrAssumeRoleDenied", "ErrInvalidBaseCredentials", "ErrExpiredToken", "ErrClockSkew",
				"ErrRegionMismatch", "ErrRejected", "ErrUnavailable"}
		}
		return []string{"ErrS3AccessDenied", "ErrKMSAccessDenied", "ErrExpiredToken", "ErrClockSkew", "ErrObjectLocked",
			"ErrRejected", "ErrUnavailable"}
	case status == 404:
		return []string{"ErrBucketNotFound", "ErrKeyNotFound", "ErrKMSKeyUnusable", "ErrRejected"}
	case status >= 300 && status < 400:
		return []string{"ErrRegionMismatch", "ErrUnavailable", "ErrRejected"}
	}
	// 200 (S3's asynchronous errors) and the other 4xx: the request, the
	// state of what it names, or a transient failure the reply says is one.
	return []string{"ErrRejected", "ErrUnsupported", "ErrUnavailable", "ErrRegionMismatch", "ErrExpiredToken",
		"ErrClockSkew", "ErrKMSKeyUnusable", "ErrKMSAccessDenied", "ErrDurationExceedsMax", "ErrObjectLocked",
		"ErrInvalidBaseCredentials", "ErrAssumeRoleDenied"}
}

// listedErrors reads the API references' lists and the SDK's models. S3's
// errors are replies to an upload and to a download; STS's to
// sts:AssumeRole; KMS's to an upload under SSE-KMS.
func listedErrors(t *testing.T) []listedError {
	t.Helper()
	var all []listedError
	files, err := filepath.Glob(filepath.Join("testdata", "errorlists", "*.tsv"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		source := strings.TrimSuffix(filepath.Base(file), ".tsv")
		for _, le := range readErrorList(t, file) {
			le.source = source
			switch {
			case strings.HasPrefix(source, "sts-"):
				le.op = "sts:AssumeRole"
				all = append(all, le)
			case strings.HasPrefix(source, "kms-"):
				le.op, le.code = "s3:PutObject", "KMS."+le.code
				all = append(all, le)
			default:
				for _, op := range []string{"s3:PutObject", "s3:GetObject"} {
					le.op = op
					all = append(all, le)
				}
			}
		}
	}
	for _, m := range []struct{ module, op, prefix string }{
		{"github.com/aws/aws-sdk-go-v2/service/s3", "s3:PutObject", ""},
		{"github.com/aws/aws-sdk-go-v2/service/sts", "sts:AssumeRole", ""},
		{"github.com/aws/aws-sdk-go-v2/service/kms", "s3:PutObject", "KMS."},
	} {
		for _, le := range modeledErrors(t, m.module) {
			le.op, le.code = m.op, m.prefix+le.code
			all = append(all, le)
		}
	}
	return all
}

// readErrorList reads one of testdata/errorlists: status, code, message.
func readErrorList(t *testing.T, file string) []listedError {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	var list []listedError
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		fields := strings.Split(lines.Text(), "\t")
		if strings.HasPrefix(lines.Text(), "#") || fields[0] == "status" {
			continue
		}
		require.GreaterOrEqual(t, len(fields), 3, "%s: %q", file, lines.Text())
		status, err := strconv.Atoi(fields[0])
		require.NoError(t, err, "%s: %q", file, lines.Text())
		code := fields[1][strings.LastIndex(fields[1], " ")+1:] // the doc's "503 SlowDown" is SlowDown
		list = append(list, listedError{status: status, code: code, message: fields[2]})
	}
	require.NoError(t, lines.Err())
	return list
}

// modeledErrors lists the modeled errors of an SDK client module (its
// types/errors.go): their code, a client's 400 or a server's 500, and for
// those S3 and STS answer otherwise, the status AWS documents.
func modeledErrors(t *testing.T, module string) []listedError {
	t.Helper()
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	require.NoError(t, err, "go list -m %s", module)
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "types", "errors.go"))
	require.NoError(t, err)
	source := "sdk-" + filepath.Base(module)
	codes := regexp.MustCompile(`func \(e \*(\w+)\) ErrorCode\(\) string \{\s+if e == nil \|\| e.ErrorCodeOverride == nil \{\s+return "(\w+)"`).
		FindAllStringSubmatch(string(src), -1)
	require.NotEmpty(t, codes, "%s declares modeled errors", module)
	documented := map[string]int{"AccessDenied": 403, "NoSuchBucket": 404, "NoSuchKey": 404, "NoSuchUpload": 404, "NotFound": 404,
		"BucketAlreadyExists": 409, "BucketAlreadyOwnedByYou": 409, "InvalidObjectState": 403, "RegionDisabledException": 403,
		"ExpiredTokenException": 400, "NotFoundException": 400, "DisabledException": 400, "KMSInvalidStateException": 400}
	var list []listedError
	for _, c := range codes {
		status := 400
		if regexp.MustCompile(`func \(e \*` + c[1] + `\) ErrorFault\(\) smithy.ErrorFault \{ return smithy.FaultServer \}`).MatchString(string(src)) {
			status = 500
		}
		if s, ok := documented[c[2]]; ok {
			status = s
		}
		list = append(list, listedError{source: source, code: c[2], status: status, message: "a typical " + c[2] + " message"})
	}
	return list
}
