/* A native kernel that crashes on purpose: writes through a NULL pointer (a real SIGSEGV). */
int crash_null(int x) {
  volatile int *p = (volatile int *)0;
  *p = x;
  return x;
}
