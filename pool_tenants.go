package recstore

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
)

// WithTenantExternalID makes the vendor, not the customer, choose each
// tenant's External ID: f gives tenant's (an HMAC of the tenant ID under a
// key of the vendor's, say, or the customer's organization ID). A tenant
// Config with no External ID gets f's; one with another is refused as
// ErrInvalidConfig, naming storageProviderExternalId, before any request.
//
// This is what the External ID is for. Every customer's role trusts the
// same base identity (the recorder's own, with WithBaseCredentials), so a
// customer could enter another customer's role ARN and External ID (which
// is no secret: it is in that role's trust policy and in its CloudTrail)
// and have the recorder write into and read from that customer's bucket:
// the confused deputy of the IAM User Guide ("The confused deputy
// problem"), whose remedy is an External ID the third party generates,
// unique per customer, which the customer cannot choose. A Pool whose
// Stores share a base identity (WithStoreOptions(WithBaseCredentials(...)))
// refuses to open without this option. Show the customer its External ID
// for the trust policy: Pool.Config fills it in, for Verify and the policy
// builder. f is called on every Pool.Store call, so keep it fast (an HMAC,
// a map) and safe for concurrent use.
func WithTenantExternalID(f func(tenant string) (string, error)) PoolOption {
	return poolOption(func(o *poolOptions) { o.tenantExternalID = f })
}

// checkSharedBase refuses a shared base identity without vendor-chosen
// External IDs.
func checkSharedBase(po poolOptions, o storeOptions) string {
	if o.baseCredentials == nil || po.tenantExternalID != nil {
		return ""
	}
	return "WithStoreOptions(WithBaseCredentials(...)) without WithTenantExternalID: every tenant's role trusts the same " +
		"identity, so a tenant that enters another's role ARN and External ID would have the recorder use that role (the " +
		"confused deputy; IAM User Guide, \"The confused deputy problem\"); give each tenant an External ID the vendor " +
		"chooses, with WithTenantExternalID"
}

// Config is cfg as the Pool opens tenant's Store with it: with the
// External ID of WithTenantExternalID filled in, and checked against the
// Pool's rules for a tenant's Config (that External ID, the endpoints of
// WithAllowedEndpoints; Open's own checks follow when the Store opens).
// Give it to Verify and to the policy builder (TrustPolicy), so that the
// customer's Test button and trust policy show the External ID the Pool
// sends. A refusal matches ErrInvalidConfig and names the setting.
func (p *Pool) Config(tenant string, cfg Config) (Config, error) {
	if p.tenantExternalID != nil {
		id, err := p.tenantExternalID(tenant)
		if err != nil {
			return cfg, fmt.Errorf("recstore: WithTenantExternalID, tenant %q: %w", truncate(tenant), err)
		}
		if problem := checkExternalID(id); id == "" || problem != "" {
			return cfg, fmt.Errorf("%w: WithTenantExternalID gave tenant %q an External ID that AWS does not accept: %s",
				ErrInvalidConfig, truncate(tenant), cmp.Or(problem, "empty"))
		}
		switch cfg.ExternalID {
		case "":
			cfg.ExternalID = id
		case id:
		default:
			return cfg, setting("ExternalID").problem("is set by the vendor for this tenant: leave it empty, and put the " +
				"External ID the vendor shows in the role's trust policy (sts:ExternalId)")
		}
	}
	var problems []error
	for _, e := range []struct{ field, raw string }{{"Endpoint", cfg.Endpoint}, {"STSEndpoint", cfg.STSEndpoint}} {
		if problem := p.endpoints.checkTenantEndpoint(e.raw); problem != "" {
			problems = append(problems, setting(e.field).problem(problem))
		} else if u, err := url.Parse(e.raw); e.raw != "" && err == nil {
			p.dialer.watch(u.Hostname())
		}
	}
	return cfg, errors.Join(problems...)
}
