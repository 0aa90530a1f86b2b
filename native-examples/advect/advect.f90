! Linear advection of a scalar field on a periodic 1-D grid, first-order upwind.
! The state lives in the module: a deck reads and writes it between steps through simdeck's
! live views (no copies), and `refine` reallocates it to show what happens to a view then.
module advect
  implicit none
  integer, parameter :: dp = kind(1.0d0)
  integer :: n = 0                     ! number of cells (set by init, changed by refine)
  integer :: steps_done = 0            ! steps taken since init
  real(dp) :: velocity = 1.0_dp        ! advection speed; a deck may set it
  real(dp) :: dx = 1.0_dp              ! cell width
  real(dp), allocatable :: state(:)    ! the field, cells 1..n
  real(dp) :: stats(3) = 0.0_dp        ! min, max and integral of state after each call
contains

  ! Allocates `ncells` cells on [0, length) with a Gaussian bump at a quarter of the domain.
  subroutine init(ncells, length)
    integer, intent(in) :: ncells
    real(dp), intent(in) :: length
    integer :: i
    real(dp) :: x
    n = ncells
    dx = length / ncells
    if (allocated(state)) deallocate(state)
    allocate(state(n))
    do i = 1, n
      x = (i - 0.5_dp) * dx / length
      state(i) = exp(-200.0_dp * (x - 0.25_dp)**2)
    end do
    steps_done = 0
    call update_stats()
  end subroutine init

  ! Takes `nsteps` upwind steps of size `dt` at the module's velocity.
  subroutine advance(dt, nsteps)
    real(dp), intent(in) :: dt
    integer, intent(in) :: nsteps
    real(dp) :: c
    integer :: s
    c = velocity * dt / dx
    do s = 1, nsteps
      if (c >= 0.0_dp) then
        state = state - c * (state - cshift(state, -1))
      else
        state = state - c * (cshift(state, 1) - state)
      end if
    end do
    steps_done = steps_done + nsteps
    call update_stats()
  end subroutine advance

  ! Splits every cell into `factor` cells: state is reallocated (a new address and size).
  subroutine refine(factor)
    integer, intent(in) :: factor
    real(dp), allocatable :: fine(:)
    integer :: i
    allocate(fine(n * factor))
    do i = 1, n * factor
      fine(i) = state((i - 1) / factor + 1)
    end do
    call move_alloc(fine, state)
    n = n * factor
    dx = dx / factor
    call update_stats()
  end subroutine refine

  ! Recomputes stats from state (call it after changing state from TypeScript).
  subroutine update_stats()
    stats(1) = minval(state)
    stats(2) = maxval(state)
    stats(3) = sum(state) * dx
  end subroutine update_stats

end module advect
