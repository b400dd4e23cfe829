// Package webui will be the embedded web page for installers:
// html/template + embed, server-rendered, the same routes answering JSON.
// It is built by the web-page work (issue 5); nothing here yet.
package webui
