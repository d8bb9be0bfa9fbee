package recstore_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
)

// A metadata-like page a store or a hostile endpoint could answer with.
const hostilePage = `<html><body><h1>403 Forbidden</h1><pre>ami-id
instance-id
iam/security-credentials/recorder-node
"AccessKeyId" : "ASIAHOSTILEPAGELEAK01", "SecretAccessKey" : "page-secret-leak"</pre></body></html>`

// TestRepliesQuotedBounded: what a reply says reaches an error, a
// diagnosis or Verify's report only as the parsed Code and Message of an
// S3 or STS XML error, cut to a bound and of printable characters; the
// body of any other reply (an HTML page, a metadata document) is never
// quoted (issue 27).
func TestRepliesQuotedBounded(t *testing.T) {
	long := strings.Repeat("very long message ", 400) + "TAIL-OF-LONG-MESSAGE"
	for _, tc := range []struct {
		name, op string
		status   int
		body     string
		never    []string
	}{
		{"S3 HTML page", "s3:PutObject", 403, hostilePage, []string{"ami-id", "ASIAHOSTILEPAGELEAK01", "page-secret-leak", "<html"}},
		{"S3 HTML page, 502", "s3:PutObject", 502, hostilePage + strings.Repeat("x", 8000), []string{"ami-id", "page-secret-leak"}},
		{"S3 long XML message", "s3:PutObject", 400, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidRequest</Code><Message>` +
			"\u202e" + long + "</Message><RequestId>R1</RequestId></Error>", []string{"TAIL-OF-LONG-MESSAGE", "\u202e"}},
		{"S3 XML with an escape", "s3:PutObject", 400, "<Error><Code>InvalidRequest</Code><Message>red \x1b[31m</Message></Error>",
			[]string{"\x1b"}},
		{"S3 long code", "s3:PutObject", 400, "<Error><Code>" + strings.Repeat("Code", 500) + "TAIL-OF-CODE</Code></Error>",
			[]string{"TAIL-OF-CODE"}},
		{"STS HTML page", "sts:AssumeRole", 403, hostilePage, []string{"ami-id", "ASIAHOSTILEPAGELEAK01", "page-secret-leak", "<html"}},
		{"STS long XML message", "sts:AssumeRole", 403, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>` +
			`<Type>Sender</Type><Code>AccessDenied</Code><Message>` + long + `</Message></Error><RequestId>R2</RequestId></ErrorResponse>`,
			[]string{"TAIL-OF-LONG-MESSAGE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s3Requests atomic.Int32
			srv := recordedAWS(t, tc.op, recording{StatusCode: tc.status, body: []byte(tc.body)}, &s3Requests)
			cfg := recstore.Config{Bucket: "recordings", Region: "us-east-1", AccessKeyID: "AKIAIOSFODNN7EXAMPLE",
				SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", RoleARN: "arn:aws:iam::444455556666:role/recorder",
				ExternalID: "acme-7f3c", RoleSessionName: "auvious-recorder-test", Endpoint: "http://s3.us-east-1.amazonaws.com",
				STSEndpoint: "http://sts.us-east-1.amazonaws.com"}
			opts := []recstore.Option{recstore.AllowInsecureEndpoint(), recstore.WithHTTPClient(dialingOnly(srv.Listener.Addr().String()))}
			s, err := recstore.Open(context.Background(), cfg, opts...)
			require.NoError(t, err)
			defer s.Close()
			err = replayOp(s, "s3:PutObject")
			require.Error(t, err)
			cause, fix, _ := recstore.Diagnose(err)
			report := recstore.Verify(context.Background(), cfg, recstore.WithStoreOptions(opts...))
			ui, jerr := json.Marshal(report)
			require.NoError(t, jerr)
			for i, text := range []string{err.Error(), cause, fix, report.String(), string(ui)} {
				for _, never := range tc.never {
					assert.NotContains(t, text, never)
				}
				bound := 1500 // an error, its cause, its fix: one bounded message each at most
				if i > 2 {
					bound = 12000 // a whole report, with a few such errors
				}
				assert.Less(t, len(text), bound, "bounded: %.300s", text)
			}
			assert.False(t, strings.ContainsFunc(err.Error()+cause+fix, func(r rune) bool { return !unicode.IsPrint(r) }),
				"printable only: %q", err.Error())
		})
	}
}
