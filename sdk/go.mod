module github.com/xroam/xroam/sdk

go 1.26
