package web

import (
	"reflect"
	"strings"
	"testing"
)

// TestNewNamesAMissingService: New builds no service of its own, so a Deps
// without one is refused at start-up, naming the field, before anything
// starts. Every pointer field of Deps but Metrics is checked, so a service
// added to Deps later is covered too.
func TestNewNamesAMissingService(t *testing.T) {
	t.Parallel()
	full := func() Deps {
		var d Deps
		v := reflect.ValueOf(&d).Elem()
		for i := range v.NumField() {
			f := v.Field(i)
			f.Set(reflect.New(f.Type().Elem())) // a non-nil zero value: New must not use it
		}
		return d
	}
	typ := reflect.TypeFor[Deps]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		if name == "Metrics" {
			continue // optional
		}
		t.Run("without "+name, func(t *testing.T) {
			d := full()
			reflect.ValueOf(&d).Elem().Field(i).SetZero()
			s, err := New(Config{}, d)
			if err == nil {
				s.Close()
				t.Fatalf("New without Deps.%s: no error", name)
			}
			if !strings.Contains(err.Error(), "Deps."+name) {
				t.Errorf("New without Deps.%s: error %q does not name the field", name, err)
			}
			if s != nil {
				t.Errorf("New without Deps.%s returned a server", name)
			}
		})
	}
}
