! The same explicit 5-point heat stencil as heat.c, written for Fortran's column-major layout:
! u(i, j) with i = 1..nx the fastest index. One ghost layer on every side (i = 1, nx and
! j = 1, ny) is copied, the interior is updated.
!
! A C block of nx x ny (row-major) is the same memory as this routine's u(ny, nx): call it
! with the two sizes swapped and both give the same numbers. From TypeScript, index it with
! FortranArray: new FortranArray(u, [nx, ny]).get(i, j) is u(i, j).
subroutine heat_step(nx, ny, u, unew, alpha)
  implicit none
  integer, intent(in) :: nx, ny
  real(8), intent(in) :: u(nx, ny)
  real(8), intent(out) :: unew(nx, ny)
  real(8), intent(in) :: alpha
  integer :: i, j

  unew(:, 1) = u(:, 1)
  unew(:, ny) = u(:, ny)
  do j = 2, ny - 1
    unew(1, j) = u(1, j)
    unew(nx, j) = u(nx, j)
    do i = 2, nx - 1
      ! same summation order as heat.c (neighbours along the slow index first)
      unew(i, j) = u(i, j) + alpha * (u(i, j - 1) + u(i, j + 1) + u(i - 1, j) + u(i + 1, j) - 4.0d0 * u(i, j))
    end do
  end do
end subroutine heat_step
