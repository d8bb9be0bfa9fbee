package recstore

import (
	"errors"

	"github.com/auvious/recstore/internal/diagnose"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// retryS3Codes makes the SDK retry what passes with time but its retryer
// does not know: KMS throttling under SSE-KMS; a request body that reached
// the store damaged or short (diagnose.IsIntegrityCode), resent from its buffer; and
// S3's 307 TemporaryRedirect, which S3 sends while a new bucket's name
// spreads to its endpoints, but not a 307 naming another Region than
// region: that is a wrong Region, which waiting does not fix. The SDK's
// retryer bounds the attempts (and their rate) as for any retry.
type retryS3Codes struct{ region string }

// IsErrorRetryable implements retry.IsErrorRetryable.
func (r retryS3Codes) IsErrorRetryable(err error) aws.Ternary {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return aws.UnknownTernary
	}
	switch code := api.ErrorCode(); {
	case code == "KMS.ThrottlingException", diagnose.IsIntegrityCode(code):
		return aws.TrueTernary
	case code == "TemporaryRedirect":
	default:
		return aws.UnknownTernary
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) && resp.Response != nil {
		if named := resp.Response.Header.Get("X-Amz-Bucket-Region"); named != "" && named != r.region {
			return aws.FalseTernary
		}
	}
	return aws.TrueTernary
}
