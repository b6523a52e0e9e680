module github.com/xroam/xroam

go 1.26
