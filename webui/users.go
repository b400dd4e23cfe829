package webui

import (
	"net/http"
	"strings"

	"github.com/openiad/openiad/firmware/console/auth"
)

type usersData struct {
	Users  []auth.Account    `json:"users"`
	Roles  []string          `json:"roles"`
	Self   string            `json:"-"`
	Admin  string            `json:"-"` // the account that cannot be removed
	Errors map[string]string `json:"errors,omitempty"`
	Name   string            `json:"-"` // typed into the add form
	Role   string            `json:"-"`
}

func (s *Server) usersData(x *rx) usersData {
	return usersData{Users: s.o.Users.Users(), Roles: []string{string(auth.RoleInstaller), string(auth.RoleAdministrator)},
		Self: x.sess.user, Admin: auth.Admin, Role: string(auth.RoleInstaller)}
}

func (s *Server) usersPage(x *rx) {
	x.page(http.StatusOK, "users", "title.users", "users", s.usersData(x))
}

func (s *Server) addUser(x *rx) {
	v, err := x.values()
	if err != nil {
		x.badRequest(err)
		return
	}
	name, role, pw := strings.TrimSpace(v["name"]), auth.Role(v["role"]), v["password"]
	if err := s.o.Users.Add(name, role, pw); err != nil {
		reason, field := authReason(err), "name"
		switch msg := err.Error(); {
		case strings.Contains(msg, "password"):
			field = "password"
		case strings.Contains(msg, "role"):
			field = "role"
		}
		if x.json {
			x.writeJSON(http.StatusUnprocessableEntity, apiError{Error: x.T("form.refused"), Code: "invalid", Fields: []fieldError{{Field: field, Reason: reason}}})
			return
		}
		d := s.usersData(x)
		d.Errors = map[string]string{field: reason}
		d.Name, d.Role = name, string(role)
		x.page(http.StatusUnprocessableEntity, "users", "title.users", "users", d)
		return
	}
	s.log.Info("webui: account added", "user", name, "role", string(role), "by", x.sess.user)
	x.done("/users", map[string]any{"user": name, "role": role})
}

func (s *Server) removeUser(x *rx) {
	v, err := x.values()
	if err != nil {
		x.badRequest(err)
		return
	}
	name := v["name"]
	if name == x.sess.user {
		x.fail(http.StatusUnprocessableEntity, "invalid", x.T("users.notself"))
		return
	}
	if err := s.o.Users.Remove(name); err != nil {
		x.fail(http.StatusUnprocessableEntity, "invalid", authReason(err))
		return
	}
	s.sessions.dropUser(name, "")
	s.log.Info("webui: account removed", "user", name, "by", x.sess.user)
	x.done("/users", map[string]any{"user": name})
}
