int sigv4_nostd_check(void);
int main(void) { return sigv4_nostd_check() == 1 ? 0 : 1; }
