package webui_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/config/configtest"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/webui"
)

// The page answers JSON when asked; without a session it asks for a login.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "webui-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	store, err := config.Open(configtest.New(), "config", config.Default(2), nil)
	if err != nil {
		panic(err)
	}
	users, _, err := auth.Open(filepath.Join(dir, "users"), nil)
	if err != nil {
		panic(err)
	}
	web, err := webui.New(webui.Options{Config: store, Users: users, Version: "example"})
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest("GET", "https://192.0.2.1/", nil)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	w := httptest.NewRecorder()
	web.ServeHTTP(w, r)
	var answer struct{ Error, Code string }
	json.Unmarshal(w.Body.Bytes(), &answer)
	fmt.Println(w.Code, answer.Code, answer.Error)
	// Output: 401 login_required 请先登录。
}
