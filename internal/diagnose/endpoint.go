package diagnose

import (
	"fmt"
	"strings"
)

// An EndpointRefusedError is a Pool's dial-time refusal of a tenant's
// endpoint: the host resolved to an address of the recorder's own network
// (loopback, link-local, private, ...), which a customer's configuration
// must not reach. It is not worth a retry: the name resolves the same way.
type EndpointRefusedError struct {
	Host, Addr string
	Kind       string // "a loopback address", ...
}

func (e *EndpointRefusedError) Error() string {
	return fmt.Sprintf("the endpoint host %s resolved to %s, %s", Quote(e.Host, maxToken), e.Addr, e.Kind)
}

// RetryableError tells the SDK's retryer not to try again.
func (e *EndpointRefusedError) RetryableError() bool { return false }

func endpointRefused(f *failure, e *EndpointRefusedError) {
	f.Kind = ErrEndpointRefused
	setting := "storageProviderEndpoint"
	if strings.HasPrefix(f.Op, "sts:") {
		setting = "storageProviderStsEndpoint"
	}
	f.Cause = fmt.Sprintf("%s of %s: a customer's configuration may not make the recorder connect to its own network; "+
		"nothing was sent", e.Error(), setting)
	f.Fix = fmt.Sprintf("set %s to the store's public address; if the service's operator means tenants to reach this "+
		"network, the operator allows its CIDR (WithAllowedEndpoints)", setting)
}
