"""coexplore.nets"""
