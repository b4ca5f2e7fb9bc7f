"""Seed 004: a two-layer linear network on linear-teacher data vs its reduced (u, z) mode dynamics."""

from .dynamics import (
                       INITS,
                       DDSetup,
                       alignment,
                       init_network,
                       jacobian,
                       jacobian_shares,
                       mode_drive,
                       reduced_coordinates,
                       reduced_field,
                       run,
                       setup_from_grid,
                       simulate_reduced,
                       sum_squared,
                       teacher_data,
                       total_weight_velocity,
                       train_network,
                       weight_error_rate,
)
from .teacher import TeacherData, linear_teacher_data, teacher_modulation

__all__ = [
    "INITS", "DDSetup", "TeacherData", "alignment", "init_network", "jacobian", "jacobian_shares",
    "linear_teacher_data", "mode_drive", "reduced_coordinates", "reduced_field", "run", "setup_from_grid",
    "simulate_reduced", "sum_squared", "teacher_data", "teacher_modulation", "total_weight_velocity",
    "train_network", "weight_error_rate",
]
