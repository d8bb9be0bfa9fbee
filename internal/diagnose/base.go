package diagnose

import (
	"errors"
	"strings"

	"github.com/aws/smithy-go"
)

// A BaseIdentityError is a failure to get the base identity's own
// credentials from Source (the WithBaseCredentials provider, or the AWS
// SDK's default chain): the recorder's identity, not the customer's STS or
// S3, refused or could not be reached.
type BaseIdentityError struct {
	Source string
	Err    error
}

func (e *BaseIdentityError) Error() string {
	return "retrieving the base identity's credentials from " + e.Source + ": " + e.Err.Error()
}

// Unwrap returns the provider's error.
func (e *BaseIdentityError) Unwrap() error { return e.Err }

// diagnoseBase classifies a failure to get the base identity's own
// credentials from the WithBaseCredentials provider (the recorder's role
// through a web identity token, the container credentials endpoint, EC2
// instance metadata), before the customer's role was asked for.
func diagnoseBase(e *failure, base *BaseIdentityError) {
	message := e.message()
	switch {
	case isWebIdentityRefusal(e.Code, message):
		webIdentityRefused(e, message)
	case e.StatusCode == 0 && isNetworkError(e.Err):
		e.Kind = ErrNetwork
		e.Cause = "the recorder's own AWS identity could not be fetched: the endpoint that serves it (STS for a web " +
			"identity, the container credentials endpoint, EC2 instance metadata) could not be reached"
		e.Fix = "check the recorder's environment: AWS_CONTAINER_CREDENTIALS_FULL_URI and the EKS Pod Identity agent " +
			"or ECS agent, instance metadata (IMDS hop limit), or the STS endpoint for AWS_WEB_IDENTITY_TOKEN_FILE"
	case e.StatusCode >= 500 || e.StatusCode == 429:
		unavailable(e, "the service that gives the recorder its own AWS identity")
	case strings.HasPrefix(message, "Service account token cannot be empty"):
		e.Kind = ErrInvalidBaseCredentials
		e.Cause = "the container credentials endpoint (EKS Pod Identity's agent) got no service account token: " +
			"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is unset, or names an empty or unreadable file"
		e.Fix = "give the recorder's service account a Pod Identity association, so that EKS mounts the " +
			"eks-pod-identity-token and sets AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE to it, and check the file is readable"
	default:
		e.Kind = ErrInvalidBaseCredentials
		detail := message
		if !errors.As(base.Err, new(smithy.APIError)) {
			detail = base.Err.Error() // message is base's own text, which names the source
		}
		e.Cause = "the recorder's own AWS identity could not be retrieved from " + base.Source + ": " + detail
		e.Fix = "fix the recorder's AWS identity where it runs (its IRSA or Pod Identity service account, task role or " +
			"instance profile): `aws sts get-caller-identity` there must succeed"
	}
}
