// Package sdkerr builds the errors the AWS SDK returns for an error
// reply, so that the classifier can be tested without a server. Tests
// only.
package sdkerr

import (
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// RequestID is the request ID of every reply Reply builds.
const RequestID = "REQ123"

// Reply is the error an SDK operation returns for a reply of status with
// an AWS error code and message.
func Reply(status int, code, message string) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "Op", Err: &awshttp.ResponseError{
		RequestID: RequestID,
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      &smithy.GenericAPIError{Code: code, Message: message},
		},
	}}
}
