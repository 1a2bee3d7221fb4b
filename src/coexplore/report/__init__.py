"""coexplore.report"""
