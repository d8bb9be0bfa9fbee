package recstore_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
)

// TestSettingsTable: Settings names every Config field exactly once, with
// distinct keys and variables (the CLI's test checks its flags).
func TestSettingsTable(t *testing.T) {
	var fields []string
	for f := range reflect.TypeFor[recstore.Config]().Fields() {
		fields = append(fields, f.Name)
	}
	var named []string
	seen := map[string]bool{}
	for _, s := range recstore.Settings() {
		named = append(named, s.Field)
		assert.True(t, strings.HasPrefix(s.Key, "storageProvider"), "key %q", s.Key)
		assert.True(t, strings.HasPrefix(s.Env, "RECSTORE_"), "variable %q", s.Env)
		for _, name := range []string{s.Field, s.Key, s.Env} {
			assert.False(t, seen[name], "%s is named twice", name)
			seen[name] = true
		}
	}
	assert.Equal(t, fields, named, "Settings lists Config's fields, in order")
}

// settingText is the field's value in the text form of its variable and flag.
func settingText(c recstore.Config, s recstore.Setting) string {
	v := reflect.ValueOf(c).FieldByName(s.Field)
	switch v.Interface().(type) {
	case time.Duration:
		return strconv.FormatInt(int64(v.Interface().(time.Duration)/time.Second), 10)
	case bool:
		return strconv.FormatBool(v.Bool())
	}
	return v.String()
}

func field(c recstore.Config, s recstore.Setting) any {
	return reflect.ValueOf(c).FieldByName(s.Field).Interface()
}

// TestSettingsTravel: every field travels alone through the JSON form, its
// environment variable and Set (the CLI's flags), and every secret is
// redacted on every printed path.
func TestSettingsTravel(t *testing.T) {
	full, err := recstore.ParseConfig(fullJSON(t))
	require.NoError(t, err)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(fullJSON(t), &raw))
	for _, s := range recstore.Settings() {
		t.Run(s.Field, func(t *testing.T) {
			want := field(full, s)
			require.Contains(t, raw, s.Key, "testdata/config.json sets every key")
			require.NotZero(t, want)

			fromJSON, err := recstore.ParseConfig([]byte(`{"` + s.Key + `":` + string(raw[s.Key]) + `}`))
			require.NoError(t, err)
			assert.Equal(t, want, field(fromJSON, s), "JSON")

			t.Setenv(s.Env, settingText(full, s))
			fromEnv, err := recstore.ConfigFromEnv()
			require.NoError(t, err)
			assert.Equal(t, want, field(fromEnv, s), "environment")

			var fromFlag recstore.Config
			require.NoError(t, s.Set(&fromFlag, settingText(full, s)))
			assert.Equal(t, want, field(fromFlag, s), "Set")

			marshalled, err := json.Marshal(fromFlag)
			require.NoError(t, err)
			if s.Secret {
				assert.JSONEq(t, `{"`+s.Key+`":"REDACTED"}`, string(marshalled))
				for _, out := range printed(t, fromFlag) {
					assert.NotContains(t, out, settingText(full, s))
					assert.Contains(t, out, "REDACTED")
				}
				return
			}
			assert.JSONEq(t, `{"`+s.Key+`":`+string(raw[s.Key])+`}`, string(marshalled))
		})
	}
	withSecrets, err := full.MarshalJSONWithSecrets()
	require.NoError(t, err)
	back, err := recstore.ParseConfig(withSecrets)
	require.NoError(t, err)
	assert.Equal(t, full, back, "MarshalJSONWithSecrets round-trips")
}

// TestRedactedFormIsRefused: a printed Config read back fails loudly,
// naming the secret's key and saying what it is.
func TestRedactedFormIsRefused(t *testing.T) {
	printedJSON, err := json.Marshal(validConfig())
	require.NoError(t, err)
	back, err := recstore.ParseConfig(printedJSON)
	require.NoError(t, err, "parsing does not validate")
	err = back.Validate()
	require.ErrorIs(t, err, recstore.ErrInvalidConfig)
	var ce *recstore.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "storageProviderSecretAccessKey", ce.Key)
	assert.Contains(t, ce.Problem, "this is the redacted form; enter the real secret")
	_, err = recstore.Open(t.Context(), back)
	assert.ErrorIs(t, err, recstore.ErrInvalidConfig, "Open refuses it before any request")
}

// TestReadmeConfigurationTable: the README's table lists exactly the
// settings, with their keys and variables (the CLI's test checks the
// flags' column).
func TestReadmeConfigurationTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## Configuration\n")
	require.True(t, ok, "README has a Configuration section")
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| (\\w+) \\| (storageProvider\\w+) \\| (RECSTORE_\\w+) \\| `--[a-z-]+` \\|")
	var got, want [][]string
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		got = append(got, m[1:])
	}
	for _, s := range recstore.Settings() {
		want = append(want, []string{s.Field, s.Key, s.Env})
	}
	assert.Equal(t, want, got)
}
