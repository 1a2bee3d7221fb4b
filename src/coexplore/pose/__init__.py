"""coexplore.pose"""
