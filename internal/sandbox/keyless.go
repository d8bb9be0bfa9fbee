package sandbox

import (
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox/stsserver"
)

// A Keyless base identity is the recorder's own role in the vendor's
// account, which it gets without long-term keys, as on EKS: through a web
// identity token (IRSA) or the container credentials endpoint (Pod
// Identity). Both token files are refreshed by nothing: their tokens last
// a day.
type Keyless struct {
	// Role is the recorder's own role, which customers' roles trust.
	Role stsserver.Role
	// Environment is what EKS gives the pod: the variables the AWS SDK's
	// default chain (recstore.DefaultBaseCredentials) reads.
	Environment map[string]string
	// Provider is the credentials provider the default chain builds from
	// Environment, built without reading the process's environment.
	Provider aws.CredentialsProvider
}

// ServiceAccount is the Kubernetes service account, in namespace
// "recorder", that the pod of the recorder whose role is named name runs
// as: the sub of its tokens. (EKS associates a service account with one
// role.)
func ServiceAccount(name string) string { return "system:serviceaccount:recorder:" + name }

// WebIdentityBase creates the recorder's role name, trusted by the STS
// endpoint's OpenID Connect provider for ServiceAccount(name), and writes a web
// identity token into dir, as EKS's IRSA does.
func (e *Env) WebIdentityBase(name, dir string) (Keyless, error) {
	role := e.addRecorderRole(name, func(r *stsserver.Role) { r.WebIdentitySubject = ServiceAccount(name) })
	tokenFile := filepath.Join(dir, name+"-web-identity-token")
	if err := os.WriteFile(tokenFile, []byte(e.STS.WebIdentityToken(ServiceAccount(name), 24*time.Hour)), 0o600); err != nil {
		return Keyless{}, err
	}
	client := sts.New(sts.Options{Region: e.Region, BaseEndpoint: aws.String(e.STS.URL()),
		HTTPClient: &http.Client{Transport: e.transport}})
	return Keyless{
		Role: role,
		Environment: map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": role.ARN,
			"AWS_ROLE_SESSION_NAME": "recorder", "AWS_ENDPOINT_URL_STS": e.STS.URL(), "AWS_REGION": e.Region},
		Provider: stscreds.NewWebIdentityRoleProvider(client, role.ARN, stscreds.IdentityTokenFile(tokenFile),
			func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "recorder" }),
	}, nil
}

// PodIdentityBase creates the recorder's role name, associated with
// ServiceAccount(name), and writes a Pod Identity token into dir, as EKS Pod
// Identity does; the STS endpoint's container credentials endpoint plays
// the agent.
func (e *Env) PodIdentityBase(name, dir string) (Keyless, error) {
	role := e.addRecorderRole(name, func(r *stsserver.Role) { r.PodIdentitySubject = ServiceAccount(name) })
	tokenFile := filepath.Join(dir, name+"-pod-identity-token")
	if err := os.WriteFile(tokenFile, []byte(e.STS.PodIdentityToken(ServiceAccount(name), 24*time.Hour)), 0o600); err != nil {
		return Keyless{}, err
	}
	return Keyless{
		Role: role,
		Environment: map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": e.STS.ContainerCredentialsURL(),
			"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile, "AWS_REGION": e.Region},
		Provider: endpointcreds.New(e.STS.ContainerCredentialsURL(), func(o *endpointcreds.Options) {
			o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
				token, err := os.ReadFile(tokenFile) // as the SDK reads AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
				return string(token), err
			})
		}),
	}, nil
}

// addRecorderRole creates a role of the vendor's account that may assume
// any role of the customer's, adjusted by edit.
func (e *Env) addRecorderRole(name string, edit func(*stsserver.Role)) stsserver.Role {
	r := stsserver.Role{ARN: "arn:aws:iam::" + SourceAccount + ":role/" + name,
		AssumableRoles: []string{"arn:aws:iam::" + TargetAccount + ":role/*"}}
	edit(&r)
	e.STS.AddRole(r)
	return r
}

// KeylessConfig creates the customer's role name, which trusts base's
// role with a fresh External ID and grants the spec's policy, and returns
// a working configuration for it without base keys: a Store needs
// recstore.WithBaseCredentials(base.Provider).
func (e *Env) KeylessConfig(name string, base Keyless) recstore.Config {
	return e.TrustKeyless(e.AddRole(name, RolePolicy(e.Bucket)), base)
}

// TrustKeyless makes role r trust base's role instead of the base user,
// and returns the configuration for r without base keys.
func (e *Env) TrustKeyless(r stsserver.Role, base Keyless) recstore.Config {
	r.TrustedUserARN = base.Role.ARN
	e.STS.AddRole(r)
	cfg := e.Config(r)
	cfg.AccessKeyID, cfg.SecretAccessKey = "", ""
	return cfg
}
