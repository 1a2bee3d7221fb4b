"""coexplore.fpga"""
