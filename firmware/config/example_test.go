package config_test

import (
	"errors"
	"fmt"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/config/configtest"
)

func ExampleStore_Update() {
	// On the box: config.Open(config.OSFS{}, "/data/config", config.Default(4), log)
	s, err := config.Open(configtest.New(), "/data/config", config.Default(4), nil)
	if err != nil {
		panic(err)
	}
	changes, err := s.Update(config.SourceWeb, "admin", func(c *config.Config) error {
		c.Ports[1].Extension = "8002"
		return nil
	})
	fmt.Println(changes, err)

	_, err = s.Update(config.SourceConsole, "tech", func(c *config.Config) error {
		c.DialPlan.FlashMin = c.DialPlan.FlashMax
		return nil
	})
	var fe *config.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Field, "-", fe.Reason)
	}
	// Output:
	// [ports[1].extension: "202" -> "8002"] <nil>
	// dialPlan.flashMin - (800ms) must be shorter than dialPlan.flashMax (800ms)
}
