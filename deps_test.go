package recstore_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLibraryLinksNoTestCode: package recstore links no test, sandbox or
// exporter package, nor the parsers and clients only its tests use (HCL,
// CloudFormation, IAM), and of its own packages only the classifier and
// the AWS name forms.
func TestLibraryLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	require.NoError(t, err)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/aws/aws-sdk-go-v2/service/s3", "the list is complete")
	var own []string
	for _, dep := range deps {
		if strings.HasPrefix(dep, "github.com/auvious/recstore") {
			own = append(own, dep)
		}
		for _, banned := range []string{"testing", "net/http/httptest", "github.com/stretchr/testify", "go.uber.org/goleak",
			"go.opentelemetry.io/otel/sdk", "go.opentelemetry.io/otel/exporters", "github.com/hashicorp/hcl",
			"github.com/zclconf/go-cty", "github.com/aws/aws-sdk-go-v2/service/cloudformation", "github.com/aws/aws-sdk-go-v2/service/iam"} {
			assert.False(t, dep == banned || strings.HasPrefix(dep, banned+"/"), "the library links %s", dep)
		}
	}
	assert.ElementsMatch(t, []string{"github.com/auvious/recstore", "github.com/auvious/recstore/internal/awsname",
		"github.com/auvious/recstore/internal/diagnose"}, own)
}
