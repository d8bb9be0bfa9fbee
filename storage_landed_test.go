package recstore

import (
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMayHaveWritten: the one rule of Upload (per attempt) and Verify (on
// the final error): a refused or redirected write stored nothing; any
// other outcome may have stored it.
func TestMayHaveWritten(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"success", nil, true},
		{"refused", apiError(403, "AccessDenied", ""), false},
		{"bad request", apiError(400, "InvalidRequest", ""), false},
		{"moved", apiError(301, "PermanentRedirect", ""), false},
		{"redirected", apiError(307, "TemporaryRedirect", ""), false},
		{"classified refusal", classify("s3:PutObject", testTarget, apiError(403, "AccessDenied", "")), false},
		{"server error", apiError(500, "InternalError", ""), true},
		{"no reply", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, true},
		{"a reply that did not parse", apiError(200, "", ""), true},
	} {
		assert.Equal(t, tc.want, mayHaveWritten(tc.err), tc.name)
	}
}
