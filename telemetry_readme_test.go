package recstore

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// readmeSection returns the README's section under heading, up to the next.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## "+heading+"\n")
	require.True(t, ok, "README has a %s section", heading)
	section, _, _ = strings.Cut(section, "\n## ")
	return section
}

// TestREADMEListsEvents: the README's table of log events is eventSpecs.
func TestREADMEListsEvents(t *testing.T) {
	row := regexp.MustCompile("(?m)^\\| (recstore\\.[a-z_.]+) \\| (DEBUG|INFO|WARN) \\| (.+) \\| (.+) \\|$")
	var got, want []string
	for _, m := range row.FindAllStringSubmatch(readmeSection(t, "Observability"), -1) {
		got = append(got, strings.Join(m[1:], " | "))
	}
	for _, spec := range eventSpecs() {
		var keys []string
		for _, k := range spec.attrs {
			keys = append(keys, string(k))
		}
		want = append(want, strings.Join([]string{spec.name, spec.level.String(), spec.msg, strings.Join(keys, ", ")}, " | "))
	}
	assert.Equal(t, want, got)
}

// TestREADMEListsInstruments: the README's table of metrics names every
// instrument recstore creates, with its kind and unit, and nothing else.
func TestREADMEListsInstruments(t *testing.T) {
	row := regexp.MustCompile("(?m)^\\| (recstore\\.[a-z_.]+) \\| ([a-z -]+), (\\S+) \\|")
	var got []string
	for _, m := range row.FindAllStringSubmatch(readmeSection(t, "Observability"), -1) {
		got = append(got, strings.Join(m[1:], " "))
	}
	m := &namingMeter{}
	newInstruments(m)
	newSpoolTelemetry(tracenoop.Tracer{}, m, func() SpoolStats { return SpoolStats{} })
	assert.ElementsMatch(t, m.names, got)
}

// namingMeter notes the name, kind and unit of each instrument created.
type namingMeter struct {
	noop.Meter
	names []string
}

func (m *namingMeter) Int64Counter(name string, opts ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	m.names = append(m.names, name+" counter "+metric.NewInt64CounterConfig(opts...).Unit())
	return m.Meter.Int64Counter(name, opts...)
}

func (m *namingMeter) Int64UpDownCounter(name string, opts ...metric.Int64UpDownCounterOption) (metric.Int64UpDownCounter, error) {
	m.names = append(m.names, name+" up-down counter "+metric.NewInt64UpDownCounterConfig(opts...).Unit())
	return m.Meter.Int64UpDownCounter(name, opts...)
}

func (m *namingMeter) Float64Histogram(name string, opts ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	m.names = append(m.names, name+" histogram "+metric.NewFloat64HistogramConfig(opts...).Unit())
	return m.Meter.Float64Histogram(name, opts...)
}

func (m *namingMeter) Int64ObservableGauge(name string, opts ...metric.Int64ObservableGaugeOption) (metric.Int64ObservableGauge, error) {
	m.names = append(m.names, name+" gauge "+metric.NewInt64ObservableGaugeConfig(opts...).Unit())
	return m.Meter.Int64ObservableGauge(name, opts...)
}

func (m *namingMeter) Float64ObservableGauge(name string, opts ...metric.Float64ObservableGaugeOption) (metric.Float64ObservableGauge, error) {
	m.names = append(m.names, name+" gauge "+metric.NewFloat64ObservableGaugeConfig(opts...).Unit())
	return m.Meter.Float64ObservableGauge(name, opts...)
}

// TestErrorTypeNamesEverySentinel: each exported Err* sentinel of
// errors.go has its own error.type, its Go name.
func TestErrorTypeNamesEverySentinel(t *testing.T) {
	src, err := os.ReadFile("errors.go")
	require.NoError(t, err)
	declared := regexp.MustCompile(`(?m)^\t(Err\w+) += (?:errors\.New|diagnose\.Err)`).FindAllStringSubmatch(string(src), -1)
	require.NotEmpty(t, declared)
	var names []string
	for _, class := range errorClasses() {
		names = append(names, class.name)
		assert.Equal(t, class.name, errorType(class.err))
	}
	for _, d := range declared {
		assert.Contains(t, names, d[1])
	}
	assert.Len(t, names, len(declared)+2, "the sentinels and the two context errors")
	assert.Equal(t, "_OTHER", errorType(os.ErrNotExist))
	assert.Equal(t, attribute.Key("error.type"), attrErrorType)
}

// TestREADMESnippetsAreCompiled: every line of a README section's Go
// snippet is in a program the build compiles.
func TestREADMESnippetsAreCompiled(t *testing.T) {
	for _, tc := range []struct{ section, file string }{
		{"Usage", "example_test.go"},
		{"Serving many tenants", "example_test.go"},
		{"Observability", "examples/otlp/main.go"},
		{"Keyless base identity", "example_test.go"},
	} {
		t.Run(tc.section, func(t *testing.T) {
			section := readmeSection(t, tc.section)
			_, snippet, ok := strings.Cut(section, "```go\n")
			require.True(t, ok, "the %s section has a Go snippet", tc.section)
			snippet, _, _ = strings.Cut(snippet, "```")
			program, err := os.ReadFile(tc.file)
			require.NoError(t, err)
			lines := map[string]bool{}
			for line := range strings.Lines(string(program)) {
				lines[code(line)] = true
			}
			for line := range strings.Lines(snippet) {
				assert.True(t, lines[code(line)], "%s has the README's line %q", tc.file, line)
			}
		})
	}
}

// code is line without its comment and surrounding space.
func code(line string) string {
	line, _, _ = strings.Cut(line, "//")
	return strings.TrimSpace(line)
}

// TestReadmeLayout: the README's Layout table matches the tree: each path
// it names exists, each non-test file of the package and each directory
// of cmd and internal (and internal/sandbox's) is named by a row.
func TestReadmeLayout(t *testing.T) {
	section := readmeSection(t, "Layout")
	var patterns []string
	for _, m := range regexp.MustCompile("(?m)^\\| ([^|]+) \\|").FindAllStringSubmatch(section, -1) {
		for _, p := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(m[1], -1) {
			patterns = append(patterns, strings.TrimSuffix(p[1], "/"))
		}
	}
	require.NotEmpty(t, patterns)
	for _, p := range patterns {
		found, err := filepath.Glob(p)
		require.NoError(t, err)
		assert.NotEmpty(t, found, "the Layout names %s, which is not in the tree", p)
	}
	named := func(path string) bool {
		for _, p := range patterns {
			if ok, _ := filepath.Match(p, path); ok {
				return true
			}
		}
		return false
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	dirs, err := filepath.Glob("cmd/*")
	require.NoError(t, err)
	for _, glob := range []string{"internal/*", "internal/sandbox/*"} {
		more, err := filepath.Glob(glob)
		require.NoError(t, err)
		dirs = append(dirs, more...)
	}
	for _, path := range slices.Concat(files, dirs) {
		info, err := os.Stat(path)
		require.NoError(t, err)
		if strings.HasSuffix(path, "_test.go") || !info.IsDir() && !strings.HasSuffix(path, ".go") ||
			info.IsDir() != slices.Contains(dirs, path) {
			continue
		}
		assert.True(t, named(path), "the Layout names no row for %s", path)
	}
}
