package recstore

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckGraph: every check of Verify waits only for checks that exist
// and that do not wait for it, so no misspelt dependency or cycle can make
// Verify wait forever; checkGraph names the check at fault.
func TestCheckGraph(t *testing.T) {
	_, _, err := checkGraph(checks())
	require.NoError(t, err)
	_, after, err := checkGraph([]check{{name: "copy", after: []string{"upload"}}, {name: "upload"}})
	require.NoError(t, err, "a check may wait for one listed after it")
	assert.Equal(t, [][]int{{1}, {}}, after)

	run := func(*verification, context.Context) Check { return pass("ran") }
	for _, tc := range []struct {
		name string
		list []check
		want string
	}{
		{"misspelt", []check{{name: "config", run: run}, {name: "upload", needs: []string{"conifg"}, run: run}},
			`check "upload" waits for "conifg", which is not a check`},
		{"cycle", []check{{name: "copy", after: []string{"upload"}, run: run}, {name: "upload", needs: []string{"copy"}, run: run}},
			`check "copy" waits for itself, through a cycle`},
		{"itself", []check{{name: "upload", needs: []string{"upload"}, run: run}}, `check "upload" waits for itself`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := checkGraph(tc.list)
			assert.ErrorContains(t, err, tc.want)
			v := &verification{tel: newTelemetry(telemetryOptions{}, "", nil)}
			for _, c := range v.runChecks(context.Background(), tc.list) { // returns: it would hang on a graph it ran
				assert.Equal(t, StatusFail, c.Status, c.Name)
				assert.ErrorContains(t, c.Err, tc.want)
			}
		})
	}
}
