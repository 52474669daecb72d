module sigv4-ffi-go-test

go 1.22
