! The Fortran twin of relax.c: a solver that owns its time loop and calls back into the deck
! once per iteration through a C function pointer (type(c_ptr) here, converted to a procedure
! pointer). params(1) is the relaxation rate, params(2) the target; a non-zero answer means stop.
module relax_steered
  use iso_c_binding
  implicit none
  abstract interface
    integer(c_int) function steer_fn(step, time, dt, params) bind(C)
      import :: c_int, c_double
      integer(c_int), value :: step
      real(c_double), value :: time, dt
      real(c_double) :: params(*)
    end function steer_fn
  end interface
contains
  integer(c_int) function relax_run_f(n, u, dt, max_steps, seen, steer) bind(C, name='relax_run_f')
    integer(c_int), value :: n, max_steps
    real(c_double), intent(inout) :: u(n)
    real(c_double), value :: dt
    real(c_double), intent(out) :: seen(max_steps)
    type(c_ptr), value :: steer
    procedure(steer_fn), pointer :: cb
    real(c_double) :: params(2), t
    integer(c_int) :: step
    call c_f_procpointer(transfer(steer, c_null_funptr), cb)
    params = 0
    t = 0
    step = 0
    do
      if (cb(step, t, dt, params) /= 0 .or. step == max_steps) exit
      seen(step + 1) = params(1)
      u = u + dt * params(1) * (params(2) - u)
      step = step + 1
      t = step * dt
    end do
    relax_run_f = step
  end function relax_run_f
end module relax_steered
